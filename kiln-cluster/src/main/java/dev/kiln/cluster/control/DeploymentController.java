package dev.kiln.cluster.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.DeploymentStatus;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Keeps each Deployment's pods at its replicas and rolls out a changed pod template. Pods carry the deployment's
 * name and a hash of the template they were made from ({@link Labels}). A rollout creates pods of the new template
 * up to {@code replicas + maxSurge} in all, and deletes old pods only while at least {@code replicas -
 * maxUnavailable} pods stay ready; old pods that are not ready go at once. Finished pods (a deployment's pods should
 * run for ever) are replaced; pods of a deleted deployment are deleted.
 */
public final class DeploymentController {
    static final String NAME = "deployment-controller";
    private static final ObjectMapper TREE = new ObjectMapper();

    private DeploymentController() {
    }

    public static List<Action> plan(ClusterView view) {
        List<Action> actions = new ArrayList<>();
        Map<String, List<Pod>> owned = new HashMap<>();
        for (Pod p : view.pods()) {
            String owner = p.metadata().labels().get(Labels.DEPLOYMENT);
            if (owner != null) {
                owned.computeIfAbsent(owner, k -> new ArrayList<>()).add(p);
            }
        }
        Set<String> deployments = view.deployments().stream().map(Deployment::name).collect(Collectors.toSet());
        owned.forEach((owner, pods) -> {
            if (!deployments.contains(owner)) {
                pods.forEach(p -> actions.add(new Action.DeletePod(NAME, p, "its deployment " + owner + " is gone")));
            }
        });
        for (Deployment d : view.deployments()) {
            plan(d, owned.getOrDefault(d.name(), List.of()), actions);
        }
        return actions;
    }

    private static boolean ready(Pod p) {
        return p.status().phase() == PodPhase.RUNNING;
    }

    private static void plan(Deployment d, List<Pod> pods, List<Action> actions) {
        String hash = templateHash(d);
        List<Pod> live = new ArrayList<>();
        for (Pod p : pods) {
            if (NodeHealth.finished(p)) {
                actions.add(new Action.DeletePod(NAME, p, "it finished (" + p.status().phase() + "); deployment "
                        + d.name() + " replaces it"));
            } else {
                live.add(p);
            }
        }
        List<Pod> current = live.stream().filter(p -> hash.equals(p.metadata().labels().get(Labels.TEMPLATE_HASH)))
                .toList();
        List<Pod> old = live.stream().filter(p -> !current.contains(p)).toList();
        int want = d.spec().replicas();
        int surge = d.spec().strategy().maxSurge(want);
        int unavailable = d.spec().strategy().maxUnavailable(want);
        if (surge == 0 && unavailable == 0) {
            unavailable = 1; // as Kubernetes: a rollout must be able to make progress
        }
        int create = Math.max(0, Math.min(want - current.size(), want + surge - live.size()));
        for (int i = 0; i < create; i++) {
            actions.add(new Action.CreatePod(NAME, d.name() + "-" + hash.substring(0, 5) + "-", newPod(d, hash),
                    "deployment " + d.name() + " has " + current.size() + " of " + want + " up-to-date pods"));
        }
        int readyCount = (int) live.stream().filter(DeploymentController::ready).count();
        int deletable = Math.max(0, readyCount - (want - unavailable));
        List<Pod> oldFirst = old.stream().sorted(Comparator.comparing(DeploymentController::ready)
                .thenComparing(Pod::name)).toList();
        for (Pod p : oldFirst) {
            if (!ready(p)) {
                actions.add(new Action.DeletePod(NAME, p, "rolling update of " + d.name() + ": old and not ready"));
            } else if (deletable > 0) {
                deletable--;
                actions.add(new Action.DeletePod(NAME, p, "rolling update of " + d.name() + ": replaced by the new "
                        + "template"));
            }
        }
        if (old.isEmpty() && current.size() > want) {
            current.stream().sorted(Comparator.comparing(DeploymentController::ready)
                            .thenComparing(Pod::name, Comparator.reverseOrder()))
                    .limit(current.size() - want)
                    .forEach(p -> actions.add(new Action.DeletePod(NAME, p, "deployment " + d.name()
                            + " is scaled to " + want)));
        }
        int readyCurrent = (int) current.stream().filter(DeploymentController::ready).count();
        DeploymentStatus status = new DeploymentStatus(live.size(), current.size(), readyCount, readyCurrent,
                Optional.of(d.metadata().generation()));
        if (!status.equals(d.status())) {
            actions.add(new Action.UpdateDeploymentStatus(NAME, d.withStatus(status)));
        }
    }

    static Pod newPod(Deployment d, String hash) {
        Map<String, String> labels = new HashMap<>(d.spec().template().labels());
        labels.put(Labels.DEPLOYMENT, d.name());
        labels.put(Labels.TEMPLATE_HASH, hash);
        PodSpec t = d.spec().template().spec();
        PodSpec spec = new PodSpec(t.containers(), t.restartPolicy(), t.nodeSelector(), Optional.empty(), t.hostNetwork());
        return Pod.of(ObjectMeta.named(d.name() + "-").withLabels(labels), spec);
    }

    /** A short, stable hash of the pod template: the same template gives the same hash in any process. */
    public static String templateHash(Deployment d) {
        try {
            Pod probe = Pod.of(ObjectMeta.named("template").withLabels(d.spec().template().labels()),
                    d.spec().template().spec());
            JsonNode canonical = canonical(TREE.readTree(Manifests.toJson(probe)).path("spec"));
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(TREE.writeValueAsString(
                    TREE.createObjectNode().<ObjectNode>set("labels", canonical(TREE.valueToTree(
                            new TreeMap<>(d.spec().template().labels())))).set("spec", canonical))
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 5);
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot hash the template of deployment " + d.name(), e);
        }
    }

    private static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            ObjectNode sorted = TREE.createObjectNode();
            TreeMap<String, JsonNode> fields = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                var e = it.next();
                fields.put(e.getKey(), canonical(e.getValue()));
            }
            fields.forEach(sorted::set);
            return sorted;
        }
        if (node.isArray()) {
            var array = TREE.createArrayNode();
            node.forEach(n -> array.add(canonical(n)));
            return array;
        }
        return node;
    }
}
