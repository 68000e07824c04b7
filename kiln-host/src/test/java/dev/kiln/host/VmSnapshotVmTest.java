package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Snapshots of a VM and clones of them, with real QEMU under TCG (migration to a file and {@code -incoming}): each
 * clone answers at its own address with its own tap and MAC, one after the other from the same snapshot, and a
 * restore that cannot work leaves nothing behind. {@code FunctionSlotVmTest} covers clones of function slots.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VmSnapshotVmTest {
    private HostConfig config;
    private HostAgent agent;

    @BeforeAll
    void start() {
        config = TestHosts.config(false);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() {
        if (agent != null) agent.cleanupAndClose();
        if (config != null) TestHosts.deleteTree(config.stateDir());
    }

    @Test
    void clonesOfOneSnapshotEachAnswerAtTheirOwnAddressOneAfterTheOther() throws Exception {
        // the template's tenant and egress policy go to its clones
        VmView t = agent.vms().create(VmCreateRequest.empty().named("tpl").withTenant("tpl-t").withEgress("deny"), true);
        VmSnapshot snap = agent.vms().snapshot(t.id(), config.stateDir().resolve("snap"));
        assertThat(agent.vms().get("tpl").phase()).isEqualTo("paused");
        List<VmView> clones = new ArrayList<>();
        for (String name : List.of("clone-a", "clone-b")) {
            var phases = new LinkedHashMap<String, Long>();
            VmView c = agent.vms().restore(snap, name, phases);
            System.out.printf("MEASURED restore of %s: %d ms %s; the template's boot: %d ms%n", name,
                    c.bootMillis().orElseThrow(), phases, t.bootMillis().orElseThrow());
            assertThat(phases).containsKeys("network", "vmmRestore", "identity");
            clones.add(c);
        }
        for (VmView c : clones) {
            assertThat(AgentClient.healthy(c.ip(), Duration.ofSeconds(5))).as(c.name() + " at " + c.ip()).isTrue();
        }
        assertThat(clones).extracting(VmView::ip).doesNotHaveDuplicates().doesNotContain(t.ip());
        assertThat(clones).extracting(VmView::mac).doesNotHaveDuplicates().doesNotContain(t.mac());
        assertThat(clones).extracting(VmView::tap).doesNotHaveDuplicates().doesNotContain(t.tap());
        assertThat(snap.policy()).isEqualTo(new dev.kiln.net.GuestPolicy("tpl-t", dev.kiln.net.GuestPolicy.Egress.DENY));
        assertThat(snap.hugePages()).isFalse();
        for (VmView c : clones) {
            assertThat(c.tenant()).as(c.name()).contains("tpl-t");
            assertThat(c.egress()).as(c.name()).contains("deny");
            assertThat(c.hugePages()).as(c.name()).isFalse();
            assertThat(agent.network().policy(c.id())).as(c.name()).contains(snap.policy());
        }

        // a damaged snapshot (its memory file cut short): QEMU fails to load it, and nothing is left of the attempt
        try (var f = java.nio.channels.FileChannel.open(snap.files().memory(), java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(f.size() / 2);
        }
        assertThatThrownBy(() -> agent.vms().restore(snap, "clone-d", new LinkedHashMap<>()))
                .isInstanceOf(HostException.class);
        assertThat(agent.vms().list()).extracting(VmView::name).containsExactlyInAnyOrder("tpl", "clone-a",
                "clone-b");
        assertThat(TestHosts.kilnLinks(config.bridge()).stream().filter(l -> l.startsWith("ktap-"))).hasSize(3);
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).hasSize(3);

        // a snapshot whose memory file is gone: a clear error, and no VM, tap or directory left of the attempt
        Files.delete(snap.files().memory());
        assertThatThrownBy(() -> agent.vms().restore(snap, "clone-c", new LinkedHashMap<>()))
                .isInstanceOf(HostException.class).hasMessageContaining("no snapshot at");
        assertThat(agent.vms().list()).extracting(VmView::name).containsExactlyInAnyOrder("tpl", "clone-a",
                "clone-b");
        assertThat(TestHosts.kilnLinks(config.bridge()).stream().filter(l -> l.startsWith("ktap-"))).hasSize(3);

        for (VmView c : clones) {
            agent.vms().remove(c.id(), true);
        }
        agent.vms().remove(t.id(), true);
        assertThat(agent.vms().list()).isEmpty();
        assertThat(TestHosts.kilnLinks(config.bridge()).stream().filter(l -> l.startsWith("ktap-"))).isEmpty();
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
    }
}
