package dev.kiln.cluster.model;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checks a resource's values (what {@link Manifests} cannot see from the shape): names, counts, profiles,
 * containers, ports, quantities, selectors, drivers and labels. Every problem names its path, such as
 * {@code spec.replicas: must be >= 0, got -1}.
 */
public final class Validation {
    /** The smallest memory a Node's VM may have. */
    public static final long MIN_NODE_MEMORY = 64L << 20;

    private Validation() {
    }

    /** All problems of {@code resource}; empty when it is valid. */
    public static List<String> problems(Resource resource) {
        Problems p = new Problems();
        metadata(p, resource.metadata());
        switch (resource) {
            case Host h -> host(p, h);
            case NodePool np -> nodePool(p, np);
            case Node n -> node(p, n);
            case Pod pod -> PodValidation.pod(p, pod);
            case Deployment d -> deployment(p, d);
            case Event e -> event(p, e);
        }
        return p.list();
    }

    /**
     * Throws when {@code resource} has problems.
     *
     * @throws ClusterException {@link ClusterError#INVALID} listing every problem
     */
    public static void check(Resource resource) {
        List<String> problems = problems(resource);
        if (!problems.isEmpty()) {
            String what = resource.kind().manifestName() + " " + (resource.name().isEmpty() ? "(unnamed)" : resource.name());
            throw new ClusterException(ClusterError.INVALID, what + " is invalid: " + String.join("; ", problems),
                    "fix the listed fields and apply again");
        }
    }

    private static void metadata(Problems p, ObjectMeta meta) {
        p.name("metadata.name", meta.name());
        p.labels("metadata.labels", meta.labels());
        p.annotations("metadata.annotations", meta.annotations());
        p.atLeast("metadata.generation", meta.generation(), 0);
    }

    private static void host(Problems p, Host host) {
        p.notEmpty("spec.address", host.spec().address());
        p.nonNegative("spec.capacity", host.spec().capacity());
        network(p, "spec.subnet", host.spec().subnet(), "10.90.2.0/24");
        network(p, "spec.clusterCidr", host.spec().clusterCidr(), "10.90.0.0/16");
        int apiPort = host.spec().apiPort();
        if (apiPort < 0 || apiPort > 65535) {
            p.add("spec.apiPort", "must be a port from 1 to 65535 (or 0: not known), got " + apiPort);
        }
        String image = host.spec().guestImage();
        if (!image.isEmpty() && !image.matches("[0-9a-f]{64}")) {
            p.add("spec.guestImage", "must be a guest image digest (64 lowercase hex characters) or empty, got '"
                    + image + "'");
        }
        p.nonNegative("status.allocated", host.status().allocated());
    }

    /** An IPv4 network address in CIDR form, or empty. */
    private static void network(Problems p, String path, String value, String example) {
        if (value.isEmpty()) {
            return;
        }
        Ipv4Subnet.parse(value).ifPresentOrElse(s -> {
            if (!s.isNetwork()) {
                p.add(path, "has host bits set: write the network address, " + s.asNetwork());
            }
        }, () -> p.add(path, "must be an IPv4 subnet such as " + example + " (or empty), got '" + value + "'"));
    }

    private static void nodePool(Problems p, NodePool pool) {
        NodePoolSpec spec = pool.spec();
        p.atLeast("spec.replicas", spec.replicas(), 0);
        profile(p, "spec.profile", spec.profile());
        p.oneOf("spec.driver", spec.driver(), NodePoolSpec.DRIVERS);
        p.labels("spec.nodeLabels", spec.nodeLabels());
        p.labels("spec.hostSelector", spec.hostSelector());
    }

    private static void node(Problems p, Node node) {
        NodeSpec spec = node.spec();
        if (!spec.pool().isEmpty()) {
            p.name("spec.pool", spec.pool());
        }
        spec.host().ifPresent(h -> p.name("spec.host", h));
        profile(p, "spec.profile", spec.profile());
        p.oneOf("spec.driver", spec.driver(), NodePoolSpec.DRIVERS);
        p.nonNegative("status.allocatable", node.status().allocatable());
        List<Condition> conditions = node.status().conditions();
        for (int i = 0; i < conditions.size(); i++) {
            String path = "status.conditions[" + i + "]";
            p.notEmpty(path + ".type", conditions.get(i).type());
            p.oneOf(path + ".status", conditions.get(i).status(), List.of(Condition.TRUE, Condition.FALSE,
                    Condition.UNKNOWN));
        }
    }

    private static void profile(Problems p, String path, NodeProfile profile) {
        p.atLeast(path + ".cpus", profile.cpus(), 1);
        if (profile.memoryBytes() < MIN_NODE_MEMORY) {
            p.add(path + ".memory", "must be at least " + Quantity.formatMemory(MIN_NODE_MEMORY) + ", got "
                    + Quantity.formatMemory(profile.memoryBytes()));
        }
        profile.scratchBytes().ifPresent(s -> p.atLeast(path + ".scratch", s, 0));
    }

    private static void deployment(Problems p, Deployment deployment) {
        DeploymentSpec spec = deployment.spec();
        p.atLeast("spec.replicas", spec.replicas(), 0);
        if (spec.selector().isEmpty()) {
            p.add("spec.selector", "must name at least one label (matchLabels)");
        }
        p.labels("spec.selector", spec.selector());
        Map<String, String> labels = spec.template().labels();
        String missing = spec.selector().entrySet().stream()
                .filter(e -> !e.getValue().equals(labels.get(e.getKey())))
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
        if (!missing.isEmpty()) {
            p.add("spec.selector", "does not match the template's labels (spec.template.metadata.labels lacks "
                    + missing + ")");
        }
        p.labels("spec.template.metadata.labels", labels);
        p.annotations("spec.template.metadata.annotations", spec.template().metadata().annotations());
        PodValidation.podSpec(p, "spec.template.spec", spec.template().spec());
        if (spec.template().spec().restartPolicy() != RestartPolicy.ALWAYS) {
            p.add("spec.template.spec.restartPolicy", "must be Always in a Deployment");
        }
        if (spec.template().spec().nodeName().isPresent()) {
            p.add("spec.template.spec.nodeName", "must not be set in a template: the scheduler binds each Pod");
        }
        strategy(p, spec.strategy());
    }

    private static void strategy(Problems p, RollingUpdate strategy) {
        amount(p, "spec.strategy.maxUnavailable", strategy.maxUnavailable(), 100);
        amount(p, "spec.strategy.maxSurge", strategy.maxSurge(), Integer.MAX_VALUE);
        if (isZero(strategy.maxUnavailable()) && isZero(strategy.maxSurge())) {
            p.add("spec.strategy", "maxUnavailable and maxSurge must not both be 0, or an update could never start");
        }
    }

    private static void amount(Problems p, String path, IntOrPercent amount, int maxPercent) {
        switch (amount) {
            case IntOrPercent.Count c -> p.atLeast(path, c.value(), 0);
            case IntOrPercent.Percent pc -> {
                if (pc.percent() < 0 || pc.percent() > maxPercent) {
                    p.add(path, "must be a percentage from 0% to " + (maxPercent == 100 ? "100%" : "any") + ", got "
                            + pc);
                }
            }
        }
    }

    private static boolean isZero(IntOrPercent amount) {
        return switch (amount) {
            case IntOrPercent.Count c -> c.value() == 0;
            case IntOrPercent.Percent pc -> pc.percent() == 0;
        };
    }

    private static void event(Problems p, Event event) {
        p.notEmpty("involvedObject.name", event.involvedObject().name());
        p.notEmpty("reason", event.reason());
        p.atLeast("count", event.count(), 0);
        if (event.lastTimestamp().isBefore(event.firstTimestamp())) {
            p.add("lastTimestamp", "must not be before firstTimestamp " + event.firstTimestamp());
        }
    }
}
