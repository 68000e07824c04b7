package dev.kiln.api.agent;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A container to run in the guest. Omitted fields take the image's values (Docker's rules): {@code command}
 * replaces the image's ENTRYPOINT (and then drops its CMD unless {@code args} is given), {@code args} replaces
 * its CMD, {@code env} is added to the image's environment (same names win), {@code workdir} and {@code user}
 * replace the image's.
 *
 * @param name             unique in the guest: letters, digits, {@code _ . -}, at most 63
 * @param image            reference in the registry, e.g. {@code library/busybox:1.36} or {@code app@sha256:...}
 * @param registry         base URL of the OCI distribution API, e.g. {@code http://10.77.0.1:5000}; empty: the
 *                         agent's default
 * @param user             {@code uid}, {@code uid:gid}, {@code name} or {@code name:group} (names from the
 *                         image's /etc/passwd and /etc/group)
 * @param memoryLimitBytes hard memory limit; must not be above the VM's memory
 * @param cpuMillis        CPU quota in thousandths of a CPU (500 = half a CPU)
 * @param pidsLimit        most processes at once
 * @param pod              with {@link NetworkMode#POD}: the pod whose network namespace the container joins
 */
public record ContainerSpec(
        String name,
        String image,
        Optional<String> registry,
        Optional<List<String>> command,
        Optional<List<String>> args,
        Map<String, String> env,
        Optional<String> workdir,
        Optional<String> user,
        Optional<Long> memoryLimitBytes,
        Optional<Integer> cpuMillis,
        Optional<Long> pidsLimit,
        boolean readOnlyRoot,
        List<Mount> mounts,
        NetworkMode network,
        RestartPolicy restart,
        Optional<String> pod) {

    public ContainerSpec {
        name = Wire.text(name, "name");
        image = Wire.text(image, "image");
        registry = Wire.opt(registry);
        command = Wire.opt(command).map(List::copyOf);
        args = Wire.opt(args).map(List::copyOf);
        env = Wire.map(env);
        workdir = Wire.opt(workdir);
        user = Wire.opt(user);
        memoryLimitBytes = Wire.opt(memoryLimitBytes);
        cpuMillis = Wire.opt(cpuMillis);
        pidsLimit = Wire.opt(pidsLimit);
        mounts = Wire.list(mounts);
        network = network == null ? NetworkMode.VM : network;
        restart = restart == null ? RestartPolicy.no() : restart;
        pod = Wire.opt(pod);
    }

    /** As before pods had networks of their own: no pod. */
    public ContainerSpec(String name, String image, Optional<String> registry, Optional<List<String>> command,
                         Optional<List<String>> args, Map<String, String> env, Optional<String> workdir,
                         Optional<String> user, Optional<Long> memoryLimitBytes, Optional<Integer> cpuMillis,
                         Optional<Long> pidsLimit, boolean readOnlyRoot, List<Mount> mounts, NetworkMode network,
                         RestartPolicy restart) {
        this(name, image, registry, command, args, env, workdir, user, memoryLimitBytes, cpuMillis, pidsLimit,
                readOnlyRoot, mounts, network, restart, Optional.empty());
    }

    /** A spec with only a name and an image; everything else from the image or the defaults. */
    public static ContainerSpec of(String name, String image) {
        return new ContainerSpec(name, image, Optional.empty(), Optional.empty(), Optional.empty(), Map.of(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false,
                List.of(), NetworkMode.VM, RestartPolicy.no());
    }

    public ContainerSpec withRegistry(String url) {
        return new ContainerSpec(name, image, Optional.of(url), command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withCommand(List<String> newCommand) {
        return new ContainerSpec(name, image, registry, Optional.of(newCommand), args, env, workdir, user,
                memoryLimitBytes, cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withArgs(List<String> newArgs) {
        return new ContainerSpec(name, image, registry, command, Optional.of(newArgs), env, workdir, user,
                memoryLimitBytes, cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withEnv(Map<String, String> newEnv) {
        return new ContainerSpec(name, image, registry, command, args, newEnv, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withWorkdir(String dir) {
        return new ContainerSpec(name, image, registry, command, args, env, Optional.of(dir), user,
                memoryLimitBytes, cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withUser(String newUser) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, Optional.of(newUser),
                memoryLimitBytes, cpuMillis, pidsLimit, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withLimits(Optional<Long> memoryBytes, Optional<Integer> millis, Optional<Long> pids) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryBytes, millis,
                pids, readOnlyRoot, mounts, network, restart, pod);
    }

    public ContainerSpec withReadOnlyRoot(boolean readOnly) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnly, mounts, network, restart, pod);
    }

    public ContainerSpec withMounts(List<Mount> newMounts) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, newMounts, network, restart, pod);
    }

    public ContainerSpec withNetwork(NetworkMode mode) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, mounts, mode, restart, pod);
    }

    /** In the network namespace of pod {@code podName} ({@link NetworkMode#POD}). */
    public ContainerSpec inPod(String podName) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, mounts, NetworkMode.POD, restart, Optional.of(podName));
    }

    public ContainerSpec withRestart(RestartPolicy policy) {
        return new ContainerSpec(name, image, registry, command, args, env, workdir, user, memoryLimitBytes,
                cpuMillis, pidsLimit, readOnlyRoot, mounts, network, policy, pod);
    }
}
