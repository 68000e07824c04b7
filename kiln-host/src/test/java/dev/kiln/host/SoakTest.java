package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.vmm.VmCgroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A soak run: VM create/remove cycles on the fake driver (real taps, leases, directories and records; no
 * hypervisor), then a sample on real jailed QEMU, leave no tap, cgroup, process, socket, file or descriptor behind.
 * The suite runs 150 fake cycles (about a minute); the full soak of 1,000 is
 * {@code ./run-tests -pl kiln-host -Dtest=SoakTest -Dkiln.soak.cycles=1000} (400 s on a busy 2-core machine).
 */
@Tag("vm")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SoakTest {
    private static final int FAKE_CYCLES = Integer.getInteger("kiln.soak.cycles", 150);
    private static final int QEMU_CYCLES = 3;

    private HostConfig config;
    private HostAgent agent;

    @BeforeAll
    void start() {
        config = TestHosts.config(true);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() {
        if (agent != null) agent.cleanupAndClose();
        TestHosts.deleteTree(config.stateDir());
    }

    /** What a VM may leave on this host: links on the test bridge, kiln's cgroups, processes, files, descriptors. */
    private record Traces(Set<String> links, Set<String> cgroups, Set<String> processes, Set<String> vmFiles, long fds) {}

    private Traces traces() throws IOException {
        Set<String> links = new TreeSet<>(List.of(run("ip", "-o", "link", "show", "master", config.bridge())
                .lines().map(l -> l.split(":\\s+")[1].split("@")[0]).toArray(String[]::new)));
        Set<String> cgroups = new TreeSet<>();
        VmCgroups.detect().ifPresent(c -> {
            for (Path parent : List.of(Path.of("/sys/fs/cgroup/memory/kiln"), Path.of("/sys/fs/cgroup/pids/kiln"),
                    Path.of("/sys/fs/cgroup/kiln"))) {
                if (!Files.isDirectory(parent)) continue;
                try (Stream<Path> groups = Files.list(parent)) {
                    groups.filter(Files::isDirectory).forEach(g -> cgroups.add(g.toString()));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        // groups of this agent's VMs only: other test runs on the machine may have their own
        Set<String> ours = new TreeSet<>();
        for (String g : cgroups) {
            if (Files.exists(config.stateDir().resolve("vms").resolve(Path.of(g).getFileName().toString()))
                    || g.contains("soak")) {
                ours.add(g);
            }
        }
        Set<String> processes = new TreeSet<>();
        ProcessHandle.allProcesses().forEach(p -> dev.kiln.vmm.ProcStat.cmdline(p.pid())
                .filter(c -> c.contains(config.stateDir().toString()) && !c.contains("surefire"))
                .ifPresent(c -> processes.add(p.pid() + " " + c)));
        Set<String> files = new TreeSet<>();
        Path vms = config.stateDir().resolve("vms");
        if (Files.isDirectory(vms)) {
            try (Stream<Path> all = Files.walk(vms)) {
                all.filter(p -> !p.equals(vms)).forEach(p -> files.add(vms.relativize(p).toString()));
            }
        }
        long fds;
        try (Stream<Path> open = Files.list(Path.of("/proc/self/fd"))) {
            fds = open.count();
        }
        return new Traces(links, ours, processes, files, fds);
    }

    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void assertNothingLeftComparedTo(Traces before) throws IOException {
        Traces after = traces();
        assertThat(agent.vms().list()).isEmpty();
        assertThat(after.links()).as("links on the bridge").isEqualTo(before.links());
        assertThat(after.cgroups()).as("kiln cgroups of this agent's VMs").isEmpty();
        assertThat(after.processes()).as("processes of this agent's VMs").isEmpty();
        assertThat(after.vmFiles()).as("files under STATE/vms").isEmpty();
        assertThat(after.fds()).as("this JVM's open descriptors").isLessThanOrEqualTo(before.fds() + 10);
    }

    @Test
    @Order(1)
    void aThousandFakeVmCyclesLeaveNothingBehind() throws IOException {
        Traces before = traces();
        long t0 = System.nanoTime();
        List<String> taps = new ArrayList<>();
        for (int i = 0; i < FAKE_CYCLES; i++) {
            VmView vm = agent.vms().create(VmCreateRequest.empty().named("soak-" + i).withDriver("fake"), true);
            if (i % 100 == 0) taps.add(vm.tap());
            agent.vms().remove(vm.id(), true);
        }
        System.out.printf("soak: %d fake VM create/remove cycles in %.1f s%n", FAKE_CYCLES,
                (System.nanoTime() - t0) / 1e9);
        assertThat(taps).as("each VM had a real tap").allMatch(t -> t != null && !t.isBlank());
        assertNothingLeftComparedTo(before);
    }

    @Test
    @Order(2)
    void aSampleOfRealJailedQemuVmsLeavesNothingBehind() throws IOException {
        Traces before = traces();
        for (int i = 0; i < QEMU_CYCLES; i++) {
            VmView vm = agent.vms().create(VmCreateRequest.empty().named("soakq-" + i).withDriver("qemu"), true);
            assertThat(vm.ready()).as("VM %s booted: %s", vm.name(), vm.cause()).isTrue();
            long pid = vm.pid().orElseThrow();
            assertThat(Files.getAttribute(Path.of("/proc", Long.toString(pid)), "unix:uid")).as("jailed uid")
                    .isNotEqualTo(0);
            agent.vms().remove(vm.id(), true);
        }
        assertNothingLeftComparedTo(before);
    }
}
