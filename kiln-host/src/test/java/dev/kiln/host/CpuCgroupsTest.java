package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * CPU limits with the host's real cgroup controller: a busy process limited to 5 % of a CPU is throttled, the
 * group goes with the process, and empty groups left behind are swept.
 */
class CpuCgroupsTest {

    private static CpuCgroups cgroups() {
        Optional<CpuCgroups> c = CpuCgroups.detect();
        Assumptions.assumeTrue(c.isPresent(), "this host has no writable cpu cgroup controller");
        return c.get();
    }

    @Test
    void aBusyProcessLimitedToAShareIsThrottledAndItsGroupGoesWithIt() throws Exception {
        CpuCgroups cpu = cgroups();
        String name = "test-" + ProcessHandle.current().pid();
        Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        try {
            cpu.limit(name, busy.pid(), 0.05);
            assertThat(cpu.processes(name)).containsExactly(busy.pid());
            assertThat(cpu.quota(name)).hasValueSatisfying(q -> assertThat(q).isEqualTo(0.05));
            await().atMost(Duration.ofSeconds(10)).until(() -> cpu.throttledPeriods(name) > 0);
        } finally {
            busy.destroyForcibly().waitFor();
            cpu.remove(name);
        }
        assertThat(cpu.dir(name)).doesNotExist();
    }

    @Test
    void aGroupOfALiveProcessIsRemovedWithTheProcessMovedOutAndEmptyGroupsAreSwept() throws Exception {
        CpuCgroups cpu = cgroups();
        String name = "test-live-" + ProcessHandle.current().pid();
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            cpu.limit(name, sleeper.pid(), 0.5);
            cpu.remove(name);
            assertThat(cpu.dir(name)).doesNotExist();
            assertThat(sleeper.isAlive()).isTrue();
        } finally {
            sleeper.destroyForcibly().waitFor();
        }
        String stale = "test-stale-" + ProcessHandle.current().pid();
        Files.createDirectories(cpu.dir(stale));
        assertThat(cpu.sweep(Set.of())).contains(stale);
        assertThat(cpu.dir(stale)).doesNotExist();
        assertThat(cpu.dir(stale).getParent()).as("kiln's parent group, empty, goes too").doesNotExist();
    }
}
