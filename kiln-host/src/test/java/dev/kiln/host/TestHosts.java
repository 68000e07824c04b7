package dev.kiln.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Configurations for agents under test: a private state dir, bridge and subnet; a shared image cache. */
final class TestHosts {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Guest images are content-addressed, so test runs can share them safely. */
    static final Path IMAGE_CACHE = Path.of("/var/tmp/kiln-test-images");

    private TestHosts() {}

    static HostConfig config(boolean fake) {
        try {
            Path state = Files.createTempDirectory(Path.of("/tmp"), "kiln-it-");
            byte[] b = new byte[2];
            RANDOM.nextBytes(b);
            String tag = HexFormat.of().formatHex(b);
            int net = 100 + RANDOM.nextInt(150);
            return new HostConfig(state, state.resolve("kiln.sock"), IMAGE_CACHE, "kbr-it" + tag, "10.78." + net + ".0/24",
                    Optional.empty(), Duration.ofSeconds(120), fake, HostConfig.DEFAULT_SCRATCH_BYTES,
                    HostConfig.DEFAULT_REGISTRY_PORT);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Links whose names kiln uses (taps, ifbs, bridges) that exist now. */
    static List<String> kilnLinks() {
        try {
            Process p = new ProcessBuilder("ip", "-o", "link", "show").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out.lines().map(l -> l.split(":\\s+")[1].split("@")[0])
                    .filter(n -> n.startsWith("ktap-") || n.startsWith("kifb-")).toList();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** QEMU processes whose command line carries this state dir. */
    static List<Long> qemuProcessesUnder(Path stateDir) {
        return ProcessHandle.allProcesses()
                .filter(p -> dev.kiln.vmm.ProcStat.cmdline(p.pid()).map(c -> c.contains("qemu-system") && c.contains(stateDir.toString())).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    static void deleteTree(Path dir) {
        VmStore.deleteTree(dir);
    }
}
