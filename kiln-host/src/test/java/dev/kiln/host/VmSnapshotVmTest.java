package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.vmm.HugePages;

import java.nio.file.Files;
import java.nio.file.Path;
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
 * restore that cannot work leaves nothing behind; a template on huge pages has clones on huge pages, and all of them
 * go back when the VMs end. {@code FunctionSlotVmTest} covers clones of function slots.
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

    @Test
    void aTemplateOnHugePagesHasClonesOnHugePagesAndThePagesGoBack() throws Exception {
        Path nr = Path.of("/proc/sys/vm/nr_hugepages");
        assumeTrue(Files.isWritable(nr), "cannot reserve huge pages here (" + nr + " is not writable)");
        String reservedBefore = Files.readString(nr).trim();
        try {
            long freeBefore = HugePages.read().free();
            Files.writeString(nr, Long.toString(Long.parseLong(reservedBefore) + 256)); // two VMs of 128 pages
            assumeTrue(HugePages.read().free() >= freeBefore + 256, "the kernel could not reserve 256 huge pages");
            long free = HugePages.read().free();

            VmView t = agent.vms().create(VmCreateRequest.empty().named("huge-tpl").withMemory("256M")
                    .withHugePages(true), true);
            assertThat(HugePages.read().free()).as("the template's 256 MiB in 2 MiB pages").isEqualTo(free - 128);
            VmSnapshot snap = agent.vms().snapshot(t.id(), config.stateDir().resolve("huge-snap"));
            assertThat(snap.hugePages()).isTrue();
            var phases = new LinkedHashMap<String, Long>();
            VmView c = agent.vms().restore(snap, "huge-clone", phases);
            System.out.printf("MEASURED restore of a huge-page clone: %d ms %s; the template's boot: %d ms%n",
                    c.bootMillis().orElseThrow(), phases, t.bootMillis().orElseThrow());
            assertThat(c.hugePages()).isTrue();
            assertThat(HugePages.read().free()).as("the clone's memory is on huge pages too").isEqualTo(free - 256);
            assertThat(hugeMountsUnder(config.stateDir())).hasSize(2);
            assertThat(AgentClient.healthy(c.ip(), Duration.ofSeconds(5))).as("the clone at " + c.ip()).isTrue();

            agent.vms().remove(c.id(), true);
            agent.vms().remove(t.id(), true);
            assertThat(HugePages.read().free()).isEqualTo(free);
            assertThat(hugeMountsUnder(config.stateDir())).isEmpty();
            assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
        } finally {
            Files.writeString(nr, reservedBefore);
        }
    }

    private static List<String> hugeMountsUnder(Path dir) throws java.io.IOException {
        return Files.readAllLines(Path.of("/proc/mounts")).stream()
                .filter(l -> l.startsWith("kiln-hugepages ") && l.contains(" " + dir)).toList();
    }
}
