package dev.kiln.cluster.control;

import dev.kiln.cluster.model.ContainerTemplate;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.DeploymentSpec;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePhase;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.NodePoolSpec;
import dev.kiln.cluster.model.NodeProfile;
import dev.kiln.cluster.model.NodeSpec;
import dev.kiln.cluster.model.NodeStatus;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.PodPhase;
import dev.kiln.cluster.model.PodSpec;
import dev.kiln.cluster.model.PodStatus;
import dev.kiln.cluster.model.PodTemplate;
import dev.kiln.cluster.model.ResourceRequirements;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.model.RollingUpdate;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Small builders for resources in controller tests. */
public final class Res {
    public static final Instant T0 = Instant.parse("2026-11-23T08:00:00Z");
    public static final NodeProfile SMALL = NodeProfile.of(1, 512L << 20);

    private Res() {
    }

    public static ObjectMeta meta(String name) {
        return ObjectMeta.named(name).withUid("uid-" + name).withResourceVersion("1").withCreationTimestamp(T0)
                .withGeneration(1);
    }

    public static Host host(String name, HostPhase phase, Instant heartbeat) {
        return Host.of(meta(name), new HostSpec("10.0.0.1", Resources.of("2", "4Gi")))
                .withStatus(new HostStatus(phase, Optional.of(heartbeat), Resources.ZERO, Optional.empty(),
                        Optional.empty()));
    }

    public static NodePool pool(String name, int replicas) {
        return NodePool.of(meta(name), new NodePoolSpec(replicas, SMALL, "auto", Map.of(), Map.of()));
    }

    public static Node node(String name, String pool, Optional<String> host, NodePhase phase, Instant heartbeat) {
        return Node.of(meta(name).withLabels(Map.of(Labels.POOL, pool)),
                        new NodeSpec(pool, host, SMALL, "auto", false))
                .withStatus(new NodeStatus(phase, Optional.of("vm-" + name), Optional.of("10.1.0.2"),
                        Optional.of(heartbeat), SMALL.resources(), List.of(), Optional.empty()));
    }

    public static Node readyNode(String name, String host) {
        return node(name, "workers", Optional.of(host), NodePhase.READY, T0);
    }

    public static PodSpec podSpec(String cpu, String memory) {
        return PodSpec.of(List.of(ContainerTemplate.of("main", "busybox:1")
                .withResources(ResourceRequirements.requests(Resources.of(cpu, memory)))));
    }

    public static Pod pod(String name, Optional<String> node, PodPhase phase) {
        PodSpec spec = podSpec("100m", "64Mi");
        return Pod.of(meta(name), node.map(spec::withNodeName).orElse(spec))
                .withStatus(PodStatus.EMPTY.withPhase(phase));
    }

    public static Deployment deployment(String name, int replicas, RollingUpdate strategy) {
        return Deployment.of(meta(name), new DeploymentSpec(replicas, Map.of("app", name),
                PodTemplate.of(Map.of("app", name), podSpec("100m", "64Mi")), strategy));
    }

    /** A pod of deployment {@code d} made from its current template, in {@code phase}, bound to {@code node}. */
    public static Pod podOf(Deployment d, String name, Optional<String> node, PodPhase phase) {
        Pod p = DeploymentController.newPod(d, DeploymentController.templateHash(d));
        PodSpec spec = node.map(p.spec()::withNodeName).orElse(p.spec());
        return p.withMetadata(meta(name).withLabels(p.metadata().labels())).withSpec(spec)
                .withStatus(PodStatus.EMPTY.withPhase(phase));
    }
}
