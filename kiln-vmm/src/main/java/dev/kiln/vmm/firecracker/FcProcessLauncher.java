package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.ProcStat;
import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Runs {@code firecracker --api-sock <sock> --id <id>} directly, or the jailer with {@link JailerCommandLine} when a
 * jailer is configured (not daemonized and without a new PID namespace, so the jailer execs Firecracker in place and
 * the pid kiln holds is Firecracker's). Either runs under {@code setsid}: a session of its own, so a signal to the
 * agent's terminal never reaches it.
 */
final class FcProcessLauncher implements FcLauncher {
    /** How often a re-found process (not kiln's child) is checked for its end. */
    static final Duration ADOPTED_POLL = Duration.ofMillis(50);

    private final FirecrackerConfig config;

    FcProcessLauncher(FirecrackerConfig config) {
        this.config = config;
    }

    @Override
    public void checkInstalled() {
        requireExecutable(config.firecracker(), "Firecracker");
        config.jailer().ifPresent(j -> requireExecutable(j.jailer(), "Firecracker's jailer"));
    }

    private static void requireExecutable(Path binary, String what) {
        if (!Files.isRegularFile(binary) || !Files.isExecutable(binary)) {
            throw new VmmException(VmmError.VMM_NOT_INSTALLED, what + " is not installed: " + binary
                    + " is not an executable file", "install Firecracker's release binaries (firecracker, jailer)"
                    + " from github.com/firecracker-microvm/firecracker/releases, or run './kiln doctor'");
        }
    }

    @Override
    public FcProcess launch(VmSpec spec, FcLayout layout) {
        checkInstalled();
        List<String> command = new ArrayList<>();
        command.add("setsid");
        command.addAll(command(spec, layout));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(layout.consoleLog().toFile()))
                .redirectError(ProcessBuilder.Redirect.appendTo(layout.stderrLog().toFile()));
        if (layout instanceof FcLayout.Jailed jailed) {
            JailFiles.prepare(jailed, spec);
        }
        try {
            return FcProcess.child(pb.start());
        } catch (IOException e) {
            layout.jailDir().ifPresent(dir -> JailFiles.remove(dir, List.of()));
            throw new VmmException(VmmError.VMM_START_FAILED, "cannot run " + command.get(1) + ": " + e.getMessage(),
                    "check the Firecracker installation with './kiln doctor'", e);
        }
    }

    /** The command without {@code setsid}. */
    List<String> command(VmSpec spec, FcLayout layout) {
        return switch (layout) {
            case FcLayout.Direct d -> List.of(config.firecracker().toString(), "--api-sock", d.apiSocket().toString(),
                    "--id", spec.id().value());
            case FcLayout.Jailed j -> JailerCommandLine.command(config.jailer().orElseThrow().jailer(), j.jail());
        };
    }

    /** The same pid, the same start time, and a command line that is Firecracker's for this VM id. */
    @Override
    public Optional<FcProcess> attach(VmHandle handle) {
        long pid = handle.pid();
        boolean same = ProcStat.isAlive(pid)
                && ProcStat.startTicks(pid).map(t -> t == handle.processStartTicks()).orElse(false)
                && ProcStat.cmdline(pid).map(c -> c.contains("firecracker") && c.contains("--id " + handle.id().value()))
                        .orElse(false);
        return same ? Optional.of(FcProcess.adopted(pid, handle.processStartTicks(), ADOPTED_POLL)) : Optional.empty();
    }
}
