package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A daemon that starts after a crash removes what has no owner: VMM processes, taps, leases, directories. */
class CrashSweepTest {
    private HostConfig config;
    private HostAgent agent;

    @AfterEach
    void cleanUp() {
        if (agent != null) agent.cleanupAndClose();
        TestHosts.deleteTree(config.stateDir());
    }

    @Test
    void leftoversWithoutARecordAreSweptAtStart() throws Exception {
        config = TestHosts.config(false);
        agent = HostAgent.start(config);
        VmView vm = agent.vms().create(VmCreateRequest.empty().named("lost").withDriver("qemu"), false);
        long pid = vm.pid().orElseThrow();
        agent.close(); // the agent goes away; its VM keeps running
        // a crash between steps: the record is gone, but the process, tap, lease and directory remain
        Path dir = config.stateDir().resolve("vms").resolve(vm.id());
        Files.delete(dir.resolve("vm.json"));
        Path stray = Files.createDirectories(config.stateDir().resolve("vms").resolve("0123456789ab"));
        assertThat(dev.kiln.vmm.ProcStat.isAlive(pid)).isTrue();
        assertThat(TestHosts.kilnLinks(config.bridge())).contains(vm.tap());

        agent = HostAgent.start(config);

        await().atMost(Duration.ofSeconds(10)).until(() -> !dev.kiln.vmm.ProcStat.isAlive(pid));
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
        assertThat(TestHosts.kilnLinks(config.bridge())).doesNotContain(vm.tap());
        assertThat(agent.network().lookup(vm.id())).isEmpty();
        assertThat(dir).doesNotExist();
        assertThat(stray).doesNotExist();
        assertThat(agent.vms().list()).isEmpty();
    }
}
