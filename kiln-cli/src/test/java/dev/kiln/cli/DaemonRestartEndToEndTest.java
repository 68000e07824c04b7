package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.vmm.ProcStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole stack as a user runs it: a daemon in its own JVM, the CLI, a real QEMU VM on a real bridge.
 * kill -9 of the daemon leaves the VM running; the next daemon re-adopts it and controls it.
 */
@Tag("vm")
class DaemonRestartEndToEndTest {
    private final ObjectMapper json = new ObjectMapper();
    private final List<Process> daemons = new ArrayList<>();
    private Path state;
    private String bridge;
    private String subnet;

    /** A 10.77.N.0/24 no interface here has an address in (another test run on this machine may use some). */
    private static String unusedSubnet() throws IOException, InterruptedException {
        Process ip = new ProcessBuilder("ip", "-o", "-4", "addr", "show").redirectErrorStream(true).start();
        String addresses = new String(ip.getInputStream().readAllBytes());
        ip.waitFor();
        var random = new SecureRandom();
        for (int i = 0; i < 1000; i++) {
            String third = "10.77." + (1 + random.nextInt(254)) + ".";
            if (!addresses.contains(" " + third)) return third + "0/24";
        }
        throw new IllegalStateException("no unused 10.77.x.0/24 here:\n" + addresses);
    }

    private Process startDaemon(Path socket, String subnet) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--socket", socket.toString(), "--state-dir", state.toString(), "daemon", "--bridge", bridge, "--subnet", subnet)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(state.resolve("daemon.log").toFile()))
                .start();
        daemons.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        try (DaemonClient client = new DaemonClient(socket)) {
            while (System.nanoTime() < deadline) {
                try {
                    client.health(Duration.ofSeconds(2));
                    return p;
                } catch (CliException e) {
                    if (!p.isAlive()) break;
                    sleep(100);
                }
            }
        }
        throw new AssertionError("daemon did not come up:\n" + Files.readString(state.resolve("daemon.log")));
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : daemons) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        if (state != null) {
            // a last daemon with --cleanup removes whatever a failed test left: VMs, taps, bridge, nft table
            Path socket = state.resolve("kiln.sock");
            CliRunner.run("--socket", socket.toString(), "--state-dir", state.toString(),
                    "daemon", "--bridge", bridge, "--subnet", subnet, "--cleanup");
            try (var walk = Files.walk(state)) {
                for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    @Test
    void aVmSurvivesKillMinus9OfTheDaemonAndTheNextDaemonControlsIt() throws Exception {
        state = Files.createTempDirectory(Path.of("/tmp"), "kiln-e2e-");
        bridge = "kbr-e2e" + Integer.toHexString(new SecureRandom().nextInt(0xfff));
        subnet = unusedSubnet();
        Path socket = state.resolve("kiln.sock");
        Process first = startDaemon(socket, subnet);

        var run = CliRunner.run(socket, "vm", "run", "--name", "e2e", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode vm = json.readTree(run.out());
        long qemuPid = vm.path("pid").asLong();
        assertThat(vm.path("phase").asText()).isEqualTo("running");
        assertThat(CliRunner.run(socket, "vm", "exec", "e2e", "--", "echo", "before").out()).contains("before");

        new ProcessBuilder("kill", "-9", Long.toString(first.pid())).start().waitFor();
        assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(ProcStat.isAlive(qemuPid)).as("QEMU outlives the daemon").isTrue();

        startDaemon(socket, subnet);
        var inspect = CliRunner.run(socket, "vm", "inspect", "e2e", "--json");
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        JsonNode again = json.readTree(inspect.out());
        assertThat(again.path("phase").asText()).isEqualTo("running");
        assertThat(again.path("pid").asLong()).isEqualTo(qemuPid);
        assertThat(CliRunner.run(socket, "vm", "pause", "e2e").exitCode()).isZero();
        assertThat(json.readTree(CliRunner.run(socket, "vm", "inspect", "e2e", "--json").out()).path("phase").asText())
                .isEqualTo("paused");
        assertThat(CliRunner.run(socket, "vm", "resume", "e2e").exitCode()).isZero();
        var exec = CliRunner.run(socket, "vm", "exec", "e2e", "--", "echo", "after");
        assertThat(exec.exitCode()).isZero();
        assertThat(exec.out()).contains("after");

        assertThat(CliRunner.run(socket, "vm", "rm", "-f", "e2e").exitCode()).isZero();
        assertThat(ProcStat.isAlive(qemuPid)).isFalse();
        var ls = CliRunner.run(socket, "vm", "ls", "--json");
        assertThat(json.readTree(ls.out()).path("vms").size()).isZero();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
