package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.Mount;
import dev.kiln.api.agent.NetworkMode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns a {@link ContainerSpec} and its image's configuration into the OCI runtime spec runc runs: pure, so each
 * rule is testable without runc. {@link #validate} checks what needs no image, before anything is created.
 *
 * <p>Merge rules (Docker's): the spec's {@code command} replaces the image's ENTRYPOINT and then drops its CMD
 * unless {@code args} is given; {@code args} replaces CMD; the process runs ENTRYPOINT + CMD. Environment: the
 * image's, then the spec's (same names win), PATH and HOME added when neither sets them. Working directory:
 * the spec's, else the image's, else {@code /}. User: the spec's, else the image's, else root; names are
 * resolved in the image's /etc/passwd and /etc/group, supplementary groups included.
 */
final class RuntimeSpecs {
    static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    static final long CPU_PERIOD_USEC = 100_000;
    static final long MIN_MEMORY_BYTES = 4L << 20;
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");
    private static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
            "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_SETFCAP");
    private static final List<String> MASKED = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware");
    private static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    /**
     * What a spec needs besides the container's own spec and image.
     *
     * @param vmMemoryBytes   the VM's MemTotal
     * @param vmNetworkFiles  guest files bound read-only into containers on the VM's network (resolv.conf, hosts)
     */
    record Context(String id, Path rootfs, String cgroupsPath, long vmMemoryBytes, Users users,
                   List<String> vmNetworkFiles) {
    }

    private RuntimeSpecs() {
    }

    /** Checks a spec against the VM before anything is pulled or created. */
    static void validate(ContainerSpec spec, long vmMemoryBytes) {
        if (!NAME.matcher(spec.name()).matches()) {
            throw bad("invalid container name '" + spec.name() + "'",
                    "use 1-63 letters, digits, '_', '.', '-', starting with a letter or digit");
        }
        spec.memoryLimitBytes().ifPresent(limit -> {
            if (limit > vmMemoryBytes) {
                throw new AgentException(AgentErrorCode.MEMORY_LIMIT_TOO_HIGH, "memory limit " + limit
                        + " bytes (" + (limit >> 20) + " MiB) is above the VM's memory of " + vmMemoryBytes
                        + " bytes (" + (vmMemoryBytes >> 20) + " MiB)");
            }
            if (limit < MIN_MEMORY_BYTES) {
                throw bad("memory limit " + limit + " bytes is below the minimum of 4 MiB", "raise the limit");
            }
        });
        spec.cpuMillis().filter(m -> m <= 0).ifPresent(m -> {
            throw bad("cpuMillis must be positive: " + m, "use e.g. 500 for half a CPU");
        });
        spec.pidsLimit().filter(p -> p <= 0).ifPresent(p -> {
            throw bad("pidsLimit must be positive: " + p, "use e.g. 1024");
        });
        spec.workdir().filter(w -> !w.startsWith("/")).ifPresent(w -> {
            throw bad("workdir must be absolute: " + w, "use a path starting with '/'");
        });
        for (String key : spec.env().keySet()) {
            if (key.isEmpty() || key.contains("=") || key.contains("\0")) {
                throw bad("invalid environment variable name '" + key + "'", "use names without '='");
            }
        }
        for (Mount m : spec.mounts()) {
            checkMountPath(m.target(), "mount target");
            if (m.type() == Mount.Type.BIND) {
                checkMountPath(m.source(), "bind mount source");
            }
        }
        if (spec.network() == NetworkMode.POD && spec.pod().isEmpty()) {
            throw bad("network POD needs the pod whose network the container joins", "set pod");
        }
        if (spec.network() != NetworkMode.POD && spec.pod().isPresent()) {
            throw bad("pod is set but network is " + spec.network(), "set network to POD, or leave pod out");
        }
        spec.pod().ifPresent(PodNetworks::requireName);
        if (spec.command().map(List::isEmpty).orElse(false) && spec.args().map(List::isEmpty).orElse(true)) {
            throw bad("command is empty", "leave command out to use the image's entrypoint, or give one");
        }
    }

    private static void checkMountPath(String path, String what) {
        if (!path.startsWith("/") || RootPath.components(path).contains("..")) {
            throw bad(what + " must be an absolute path without '..': '" + path + "'", "fix the mount");
        }
    }

    /** The process arguments: ENTRYPOINT + CMD after the spec's overrides. */
    static List<String> argv(ContainerSpec spec, ImageConfig image) {
        List<String> entrypoint = spec.command().orElse(image.entrypoint());
        List<String> cmd = spec.args().orElse(spec.command().isPresent() ? List.of() : image.cmd());
        List<String> argv = new ArrayList<>(entrypoint);
        argv.addAll(cmd);
        if (argv.isEmpty()) {
            throw bad("the container has no command: the spec gives none and image " + spec.image()
                    + " has neither ENTRYPOINT nor CMD", "set command or args in the spec");
        }
        return List.copyOf(argv);
    }

    /** The environment as {@code NAME=value}, image first, spec overriding, PATH and HOME defaulted. */
    static List<String> env(ContainerSpec spec, ImageConfig image, String home) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : image.env()) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        env.putAll(new java.util.TreeMap<>(spec.env()));
        env.putIfAbsent("PATH", DEFAULT_PATH);
        env.putIfAbsent("HOME", home);
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    static String cwd(ContainerSpec spec, ImageConfig image) {
        String dir = spec.workdir().orElse(image.workdir().isBlank() ? "/" : image.workdir());
        return dir.startsWith("/") ? dir : "/" + dir;
    }

    /** The OCI runtime spec for runc. */
    static OciRuntimeSpec generate(ContainerSpec spec, ImageConfig image, Context ctx) {
        validate(spec, ctx.vmMemoryBytes());
        Users.Resolved user = ctx.users().resolve(spec.user().orElse(image.user()));
        var process = new OciRuntimeSpec.Process(false,
                new OciRuntimeSpec.User(user.uid(), user.gid(), user.additionalGids()),
                argv(spec, image), env(spec, image, user.home()), cwd(spec, image),
                new OciRuntimeSpec.Capabilities(CAPABILITIES, CAPABILITIES, CAPABILITIES),
                List.of(), true); // rlimits: the agent's own (a fixed NOFILE can exceed what the guest allows)
        List<OciRuntimeSpec.Namespace> namespaces = new ArrayList<>();
        for (String ns : List.of("pid", "ipc", "uts", "mount")) {
            namespaces.add(new OciRuntimeSpec.Namespace(ns));
        }
        if (spec.network() == NetworkMode.ISOLATED) {
            namespaces.add(new OciRuntimeSpec.Namespace("network"));
        }
        if (spec.network() == NetworkMode.POD) {
            namespaces.add(new OciRuntimeSpec.Namespace("network", Optional.of(PodNetworks.namespaceFile(
                    spec.pod().orElseThrow()).toString())));
        }
        var resources = new OciRuntimeSpec.Resources(
                List.of(new OciRuntimeSpec.DeviceRule(false, "rwm")),
                spec.memoryLimitBytes().map(OciRuntimeSpec.Memory::new),
                spec.cpuMillis().map(m -> new OciRuntimeSpec.Cpu(cpuQuota(m), CPU_PERIOD_USEC)),
                spec.pidsLimit().map(OciRuntimeSpec.Pids::new));
        var linux = new OciRuntimeSpec.Linux(resources, ctx.cgroupsPath(), List.copyOf(namespaces), MASKED,
                READ_ONLY);
        return new OciRuntimeSpec(OciRuntimeSpec.VERSION, process,
                new OciRuntimeSpec.Root(ctx.rootfs().toString(), spec.readOnlyRoot()),
                spec.name(), mounts(spec, ctx), linux);
    }

    /** CPU quota in microseconds per {@link #CPU_PERIOD_USEC} for thousandths of a CPU (at least 1 ms). */
    static long cpuQuota(int millis) {
        return Math.max(1000, millis * CPU_PERIOD_USEC / 1000);
    }

    private static List<OciRuntimeSpec.Mount> mounts(ContainerSpec spec, Context ctx) {
        List<OciRuntimeSpec.Mount> mounts = new ArrayList<>(List.of(
                mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
                mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
                mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                        "mode=0620", "gid=5"),
                mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
                mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
                mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
                mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro")));
        if (spec.network() == NetworkMode.VM || spec.network() == NetworkMode.POD) {
            for (String file : ctx.vmNetworkFiles()) {
                mounts.add(mount(file, "bind", file, "rbind", "ro", "nosuid", "nodev", "noexec"));
            }
        }
        for (Mount m : spec.mounts()) {
            mounts.add(switch (m.type()) {
                case BIND -> mount(m.target(), "bind", m.source(), "rbind", m.readOnly() ? "ro" : "rw", "nosuid",
                        "nodev");
                case TMPFS -> {
                    List<String> options = new ArrayList<>(List.of("nosuid", "nodev", "mode=1777"));
                    m.sizeBytes().ifPresent(size -> options.add("size=" + size));
                    if (m.readOnly()) {
                        options.add("ro");
                    }
                    yield new OciRuntimeSpec.Mount(m.target(), "tmpfs", "tmpfs", List.copyOf(options));
                }
            });
        }
        return List.copyOf(mounts);
    }

    private static OciRuntimeSpec.Mount mount(String destination, String type, String source, String... options) {
        return new OciRuntimeSpec.Mount(destination, type, source, List.of(options));
    }

    private static AgentException bad(String message, String hint) {
        return new AgentException(AgentErrorCode.BAD_REQUEST, message, hint);
    }

    /** The value of an environment entry, for tests and callers. */
    static Optional<String> envValue(List<String> env, String name) {
        return env.stream().filter(e -> e.startsWith(name + "=")).map(e -> e.substring(name.length() + 1))
                .findFirst();
    }
}
