package dev.kiln.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import dev.kiln.net.FreeSubnets;

/**
 * Configurations for agents under test: a private state dir, bridge and subnet; a shared image cache. Public for the
 * tests of sub-packages.
 */
public final class TestHosts {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Guest images are content-addressed, so test runs can share them safely. */
    static final Path IMAGE_CACHE = Path.of("/var/tmp/kiln-test-images");

    private TestHosts() {}

    public static HostConfig config(boolean fake) {
        try {
            Path state = Files.createTempDirectory(Path.of("/tmp"), "kiln-it-");
            byte[] b = new byte[2];
            RANDOM.nextBytes(b);
            String tag = HexFormat.of().formatHex(b);
            return new HostConfig(state, state.resolve("kiln.sock"), IMAGE_CACHE, "kbr-it" + tag, freeSubnet(),
                    Optional.empty(), Duration.ofSeconds(120), fake, HostConfig.DEFAULT_SCRATCH_BYTES,
                    HostConfig.DEFAULT_REGISTRY_PORT, Optional.empty(), true);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A {@code 10.78.N.0/24} that no interface on the host overlaps now, so that agents of other test runs on the same
     * machine (or leftovers of a killed one) do not collide with this one.
     */
    static String freeSubnet() {
        return FreeSubnets.pick("10.78", 1, FreeSubnets.inUse(), i -> 100 + RANDOM.nextInt(150)).getFirst();
    }

    /**
     * The links of vms on {@code bridge} that exist now: those kiln labelled {@code kiln:vm=<id>,bridge=<bridge>} (taps
     * and ifbs) and any link enslaved to the bridge. Scoped to one agent's bridge: other agents on the machine, such as
     * another test run's, have their own.
     */
    static List<String> kilnLinks(String bridge) {
        String label = ",bridge=" + bridge;
        return ip("-o", "link", "show").lines()
                .filter(l -> {
                    List<String> words = List.of(l.split("\\s+"));
                    int master = words.indexOf("master");
                    return words.stream().anyMatch(w -> w.startsWith("kiln:vm=") && w.endsWith(label))
                            || master >= 0 && master + 1 < words.size() && words.get(master + 1).equals(bridge);
                })
                .map(l -> l.split(":\\s+")[1].split("@")[0])
                .toList();
    }

    private static String ip(String... args) {
        try {
            var cmd = new java.util.ArrayList<String>(List.of("ip"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("ip " + String.join(" ", args) + " failed: " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** QEMU processes whose command line carries this state dir. */
    static List<Long> qemuProcessesUnder(Path stateDir) {
        return ProcessHandle.allProcesses()
                .filter(p -> dev.kiln.vmm.ProcStat.cmdline(p.pid()).map(c -> c.contains("qemu-system") && c.contains(stateDir.toString())).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    public static void deleteTree(Path dir) {
        VmStore.deleteTree(dir);
    }
}
