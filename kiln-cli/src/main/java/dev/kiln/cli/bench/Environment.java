package dev.kiln.cli.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where and how a FunctionBench run was made, for its report: the numbers mean little without it (under TCG every
 * guest instruction is emulated).
 *
 * @param kilnVersion the kiln build
 * @param driver      the VMM driver ({@code qemu}, {@code firecracker})
 * @param accelerator how the guest's CPU ran
 * @param host        the machine the run was made on
 * @param date        when the run started
 * @param inputSize   the workloads' input size
 * @param quick       whether it was the quick run (fewer memory sizes and repetitions)
 * @param commandLine the command as typed
 */
public record Environment(String kilnVersion, String driver, Accelerator accelerator, Host host, Instant date,
                          Workloads.Size inputSize, boolean quick, String commandLine) {

    /** How a guest's CPU ran. */
    public enum Accelerator {
        /** Hardware virtualization: guest code runs on the CPU. */
        @JsonProperty("kvm") KVM,
        /** QEMU's Tiny Code Generator: guest code is translated and emulated in software. */
        @JsonProperty("tcg") TCG,
        /** No hypervisor (the fake driver). */
        @JsonProperty("none") NONE,
        /** The daemon did not say. */
        @JsonProperty("unknown") UNKNOWN;

        /** From the name the daemon's health reports ({@code kvm}, {@code tcg}); anything else is UNKNOWN. */
        public static Accelerator parse(String name) {
            return switch (name.strip().toLowerCase(Locale.ROOT)) {
                case "kvm" -> KVM;
                case "tcg" -> TCG;
                case "none" -> NONE;
                default -> UNKNOWN;
            };
        }
    }

    /**
     * The host machine.
     *
     * @param cpuModel    the CPU's model name, as /proc/cpuinfo gives it
     * @param cores       logical CPUs
     * @param memoryBytes physical memory
     * @param kernel      the kernel release
     */
    public record Host(String cpuModel, int cores, long memoryBytes, String kernel) {
    }

    /**
     * The environment of a run starting now on this host.
     *
     * @param accelerator as the daemon's health names it ({@code kvm}, {@code tcg})
     * @param inputSize   {@code test}, {@code small} or {@code large}
     */
    public static Environment probeHost(String kilnVersion, String driver, String accelerator, String inputSize,
                                        boolean quick, String commandLine) {
        return probeHost(kilnVersion, driver, accelerator, inputSize, quick, commandLine, Clock.systemUTC());
    }

    static Environment probeHost(String kilnVersion, String driver, String accelerator, String inputSize,
                                 boolean quick, String commandLine, Clock clock) {
        return new Environment(kilnVersion, driver, Accelerator.parse(accelerator), probeHost(), clock.instant(),
                Workloads.Size.valueOf(inputSize.toUpperCase(Locale.ROOT)), quick, commandLine);
    }

    /** The host this JVM runs on, from /proc; what it cannot read is "unknown" or 0. */
    public static Host probeHost() {
        return probeHost(Path.of("/proc"));
    }

    static Host probeHost(Path proc) {
        List<String> cpuinfo = lines(proc.resolve("cpuinfo"));
        String model = field(cpuinfo, "model name").or(() -> field(cpuinfo, "Hardware"))
                .or(() -> field(cpuinfo, "cpu model")).orElse("unknown");
        long processors = cpuinfo.stream().filter(l -> l.startsWith("processor")).count();
        int cores = processors > 0 ? (int) processors : Runtime.getRuntime().availableProcessors();
        long memory = field(lines(proc.resolve("meminfo")), "MemTotal")
                .map(v -> Long.parseLong(v.replaceAll("[^0-9]", "")) * 1024).orElse(0L);
        String kernel = lines(proc.resolve("sys/kernel/osrelease")).stream().findFirst().map(String::strip)
                .orElse(System.getProperty("os.version", "unknown"));
        return new Host(model, cores, memory, kernel);
    }

    private static Optional<String> field(List<String> lines, String name) {
        return lines.stream().filter(l -> l.startsWith(name)).map(l -> l.split(":", 2))
                .filter(kv -> kv.length == 2 && kv[0].strip().equals(name)).map(kv -> kv[1].strip())
                .filter(v -> !v.isEmpty()).findFirst();
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of(); // not Linux, or not readable: the report says "unknown"
        }
    }
}
