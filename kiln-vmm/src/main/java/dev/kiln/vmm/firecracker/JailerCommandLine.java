package dev.kiln.vmm.firecracker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The argument list for Firecracker's jailer, with the flag names its usage documents ({@code docs/jailer.md},
 * v1.16.1): {@code --id --exec-file --uid --gid}, then the optional flags, then {@code --} and Firecracker's own
 * arguments, which the jailer forwards. Pure: nothing is checked on the host; {@link JailSpec} has checked the values.
 */
public final class JailerCommandLine {
    private JailerCommandLine() {}

    /** The arguments after the jailer binary. */
    public static List<String> arguments(JailSpec spec) {
        Objects.requireNonNull(spec, "spec");
        List<String> out = new ArrayList<>();
        add(out, "--id", spec.id());
        add(out, "--exec-file", spec.execFile().toString());
        add(out, "--uid", Integer.toString(spec.uid()));
        add(out, "--gid", Integer.toString(spec.gid()));
        add(out, "--chroot-base-dir", spec.chrootBaseDir().toString());
        spec.netnsPath().ifPresent(ns -> add(out, "--netns", ns));
        add(out, "--cgroup-version", spec.cgroupVersion().wire());
        spec.cgroups().forEach((file, value) -> add(out, "--cgroup", file + "=" + value));
        spec.parentCgroup().ifPresent(parent -> add(out, "--parent-cgroup", parent));
        spec.resourceLimits().forEach((resource, limit) -> add(out, "--resource-limit", resource + "=" + limit));
        if (spec.newPidNs()) {
            out.add("--new-pid-ns");
        }
        if (spec.daemonize()) {
            out.add("--daemonize");
        }
        if (!spec.firecrackerArgs().isEmpty()) {
            out.add("--");
            out.addAll(spec.firecrackerArgs());
        }
        return List.copyOf(out);
    }

    /** The whole command: {@code jailer} followed by {@link #arguments(JailSpec)}. */
    public static List<String> command(Path jailer, JailSpec spec) {
        Objects.requireNonNull(jailer, "jailer");
        List<String> out = new ArrayList<>();
        out.add(jailer.toString());
        out.addAll(arguments(spec));
        return List.copyOf(out);
    }

    private static void add(List<String> out, String flag, String value) {
        out.add(flag);
        out.add(value);
    }
}
