package dev.kiln.agent;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Optional;

/** The parts of the OCI runtime spec ({@code config.json}, version 1.0.2) that kiln writes for runc. */
@JsonInclude(JsonInclude.Include.NON_ABSENT)
record OciRuntimeSpec(String ociVersion, Process process, Root root, String hostname, List<Mount> mounts,
                      Linux linux) {
    static final String VERSION = "1.0.2";

    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    record Process(boolean terminal, User user, List<String> args, List<String> env, String cwd,
                   Capabilities capabilities, List<Rlimit> rlimits, boolean noNewPrivileges) {
    }

    record User(long uid, long gid, List<Long> additionalGids) {
    }

    record Capabilities(List<String> bounding, List<String> effective, List<String> permitted) {
    }

    record Rlimit(String type, long hard, long soft) {
    }

    record Root(String path, boolean readonly) {
    }

    record Mount(String destination, String type, String source, List<String> options) {
    }

    record Linux(Resources resources, String cgroupsPath, List<Namespace> namespaces, List<String> maskedPaths,
                 List<String> readonlyPaths) {
    }

    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    record Resources(List<DeviceRule> devices, Optional<Memory> memory, Optional<Cpu> cpu, Optional<Pids> pids) {
    }

    record DeviceRule(boolean allow, String access) {
    }

    record Memory(long limit) {
    }

    record Cpu(long quota, long period) {
    }

    record Pids(long limit) {
    }

    /** A namespace to create, or with {@code path} one to join (a pod's network namespace). */
    @JsonInclude(JsonInclude.Include.NON_ABSENT)
    record Namespace(String type, Optional<String> path) {
        Namespace(String type) {
            this(type, Optional.empty());
        }
    }
}
