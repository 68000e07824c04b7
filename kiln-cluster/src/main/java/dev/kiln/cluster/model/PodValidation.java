package dev.kiln.cluster.model;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The checks of Pods and Pod templates: containers, images, ports, environment, requests and limits. */
final class PodValidation {
    private PodValidation() {
    }

    static void pod(Problems p, Pod pod) {
        podSpec(p, "spec", pod.spec());
        List<ContainerStatus> statuses = pod.status().containerStatuses();
        for (int i = 0; i < statuses.size(); i++) {
            String path = "status.containerStatuses[" + i + "]";
            p.oneOf(path + ".state", statuses.get(i).state(), List.of(ContainerStatus.WAITING, ContainerStatus.RUNNING,
                    ContainerStatus.TERMINATED));
            p.atLeast(path + ".restartCount", statuses.get(i).restartCount(), 0);
        }
    }

    static void podSpec(Problems p, String path, PodSpec spec) {
        if (spec.containers().isEmpty()) {
            p.add(path + ".containers", "must have at least one container");
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < spec.containers().size(); i++) {
            ContainerTemplate c = spec.containers().get(i);
            String at = path + ".containers[" + i + "]";
            if (!names.add(c.name())) {
                p.add(at + ".name", "'" + c.name() + "' is used by an earlier container; names must be unique");
            }
            container(p, at, c);
        }
        p.labels(path + ".nodeSelector", spec.nodeSelector());
        spec.nodeName().ifPresent(n -> p.name(path + ".nodeName", n));
    }

    private static void container(Problems p, String path, ContainerTemplate c) {
        p.name(path + ".name", c.name());
        p.notEmpty(path + ".image", c.image());
        c.env().keySet().stream().filter(k -> !Names.isEnvName(k))
                .forEach(k -> p.add(path + ".env", "'" + k + "' is not a valid variable name: letters, digits and"
                        + " '_', not starting with a digit"));
        for (int i = 0; i < c.ports().size(); i++) {
            ContainerPort port = c.ports().get(i);
            String at = path + ".ports[" + i + "]";
            p.port(at + ".containerPort", port.containerPort());
            port.hostPort().ifPresent(h -> p.port(at + ".hostPort", h));
            p.oneOf(at + ".protocol", port.protocol(), List.of("TCP", "UDP"));
        }
        c.workingDir().filter(d -> !d.startsWith("/"))
                .ifPresent(d -> p.add(path + ".workingDir", "must be an absolute path, got '" + d + "'"));
        resources(p, path + ".resources", c.resources());
    }

    private static void resources(Problems p, String path, ResourceRequirements r) {
        p.nonNegative(path + ".requests", r.requests());
        r.limits().ifPresent(limits -> {
            p.nonNegative(path + ".limits", limits);
            if (limits.cpuMillis() < r.requests().cpuMillis()) {
                p.add(path + ".limits.cpu", "must be >= the request " + Quantity.formatCpu(r.requests().cpuMillis())
                        + ", got " + Quantity.formatCpu(limits.cpuMillis()));
            }
            if (limits.memoryBytes() < r.requests().memoryBytes()) {
                p.add(path + ".limits.memory", "must be >= the request "
                        + Quantity.formatMemory(r.requests().memoryBytes()) + ", got "
                        + Quantity.formatMemory(limits.memoryBytes()));
            }
        });
    }
}
