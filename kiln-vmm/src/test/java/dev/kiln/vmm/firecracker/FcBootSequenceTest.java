package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.DriveSpec;
import dev.kiln.vmm.GuestChannel;
import dev.kiln.vmm.GuestIdentity;
import dev.kiln.vmm.VmId;
import dev.kiln.vmm.VmSpec;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.PutBootSource;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutLogger;
import dev.kiln.vmm.firecracker.FcRequest.PutMetrics;
import dev.kiln.vmm.firecracker.FcRequest.PutVsock;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The boot requests of a spec, run directly and jailed; every request they make is valid against the spec. */
class FcBootSequenceTest {
    private static final Path RUN = Path.of("/run/kiln/vm1");
    private static final FirecrackerConfig CONFIG = FirecrackerConfig.of(Path.of("/usr/local/bin/firecracker"));

    private static VmSpec spec(Optional<Path> initrd) {
        return new VmSpec(new VmId("vm1"), "vm1", 2, ByteSize.parse("256M"), Path.of("/images/vmlinux"), initrd,
                "quiet", List.of(DriveSpec.of("root", Path.of("/images/rootfs.ext4"), true),
                        DriveSpec.of("data", Path.of("/disks/data.ext4"), false)), List.of(),
                GuestIdentity.none(), GuestChannel.VSOCK);
    }

    @Test
    void withoutAnInitrdTheFirstDriveIsFirecrackersRootDevice() {
        List<FcRequest> boot = FcBootSequence.boot(spec(Optional.empty()), new FcLayout.Direct(RUN), CONFIG);

        assertThat(boot).filteredOn(PutDrive.class::isInstance).map(r -> ((PutDrive) r).isRootDevice())
                .containsExactly(true, false);
        assertThat(boot.getLast()).isInstanceOf(InstanceStart.class);
        assertThat(boot).noneMatch(r -> r instanceof FcRequest.PutMmdsConfig)
                .as("no NIC, no MMDS").noneMatch(r -> r instanceof FcRequest.PutMmds);
    }

    @Test
    void jailedEveryPathIsInsideTheJail() {
        JailSpec jail = JailerConfig.of(Path.of("/usr/local/bin/jailer"), 10000, 10000)
                .jailFor(CONFIG.firecracker(), spec(Optional.empty()));
        FcLayout layout = FcLayout.of(RUN, Optional.of(jail));
        VmSpec spec = spec(Optional.of(Path.of("/images/initrd.img")));

        List<FcRequest> boot = FcBootSequence.boot(spec, layout, CONFIG);

        assertThat(boot.get(0)).isEqualTo(new PutLogger(Path.of("/run/firecracker.log"), CONFIG.logLevel(), true, false));
        assertThat(boot.get(1)).isEqualTo(new PutMetrics(Path.of("/run/metrics.json")));
        assertThat(boot).contains(new PutBootSource(Path.of("/vmlinux"), Optional.of(Path.of("/initrd.img")),
                FirecrackerConfig.DEFAULT_BOOT_ARGS + " quiet"));
        assertThat(boot).filteredOn(PutDrive.class::isInstance).map(r -> ((PutDrive) r).pathOnHost())
                .containsExactly(Path.of("/drive-root.img"), Path.of("/drive-data.img"));
        assertThat(boot).contains(new PutVsock(FcBootSequence.GUEST_CID, Path.of("/run/v.sock")));
        assertThat(layout.logOnHost()).isEqualTo(Path.of("/srv/jailer/firecracker/vm1/root/run/firecracker.log"));
        assertThat(layout.consoleLog()).isEqualTo(RUN.resolve("console.log"));
    }

    @Test
    void everyBootAndRestoreRequestValidatesAgainstTheSpec() {
        FirecrackerSpec spec = FirecrackerSpec.get();
        VmSpec vm = spec(Optional.of(Path.of("/images/initrd.img")));
        List<FcRequest> all = new java.util.ArrayList<>(FcBootSequence.boot(vm, new FcLayout.Direct(RUN), CONFIG));
        all.addAll(FcBootSequence.restore(vm, new FcLayout.Direct(RUN), CONFIG, RUN.resolve("s.state"), RUN.resolve("s.mem")));
        for (FcRequest r : all) {
            FcCall call = FcCall.callOf(r);
            assertThat(spec.validateRequest(call).hasErrors()).as(call.describe()).isFalse();
        }
    }

    @Test
    void handleAttributesRoundTrip() {
        JailerConfig jc = JailerConfig.of(Path.of("/usr/local/bin/jailer"), 10000, 10000);
        VmSpec vm = spec(Optional.empty());
        JailSpec jail = jc.jailFor(CONFIG.firecracker(), vm);
        FcVmFacts facts = FcVmFacts.of(FcLayout.of(RUN, Optional.of(jail)), vm, jc.cgroupDirs(jail));

        Map<String, String> attributes = facts.toAttributes();

        assertThat(FcVmFacts.fromAttributes(attributes)).isEqualTo(facts);
        assertThat(facts.onHost(Path.of("/run/snapshot.mem")))
                .isEqualTo(Path.of("/srv/jailer/firecracker/vm1/root/run/snapshot.mem"));
        FcVmFacts direct = FcVmFacts.of(new FcLayout.Direct(RUN), vm, List.of());
        assertThat(FcVmFacts.fromAttributes(direct.toAttributes())).isEqualTo(direct);
        assertThat(direct.snapshotForVmm(Path.of("/snaps/a.state"), "snapshot.state")).isEqualTo(Path.of("/snaps/a.state"));
    }

    @Test
    void aSpecThatAsksForHugePagesGetsFirecrackers2MPages() {
        VmSpec huge = spec(Optional.empty()).withHugePages(true);
        assertThat(FcBootSequence.machine(huge, CONFIG).hugePages()).isEqualTo(FcRequest.HugePages.TWO_MB);
        assertThat(FcBootSequence.machine(spec(Optional.empty()), CONFIG).hugePages()).isEqualTo(FcRequest.HugePages.NONE);
    }
}
