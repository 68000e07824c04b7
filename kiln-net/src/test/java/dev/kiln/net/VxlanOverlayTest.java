package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The overlay's logic against {@link FakeKernel}: command sequences, idempotency, conflicts, peers, teardown. */
class VxlanOverlayTest {
    private static final String BRIDGE = "kt-br";
    private static final String LOCAL = "172.29.0.1";
    private static final String DEVICE = "kvx4242";
    private static final String LABEL = "kiln:overlay,bridge=" + BRIDGE;

    private final FakeKernel kernel = new FakeKernel();
    private final OverlayConfig config = new OverlayConfig(BRIDGE, LOCAL);

    @BeforeEach
    void host() {
        kernel.addLink(BRIDGE, "bridge").up = true;
        FakeKernel.FakeLink underlay = kernel.addLink("eth1", "veth");
        underlay.mtu = 1550;
        underlay.up = true;
        kernel.addAddress("eth1", LOCAL + "/24");
        kernel.addAddress(BRIDGE, "10.90.1.1/16");
    }

    private VxlanOverlay open() {
        return VxlanOverlay.open(config, kernel.environment());
    }

    @Test
    void configValidatesVniPortAndAddressAndNamesTheDevice() {
        assertThat(config.vni()).isEqualTo(4242);
        assertThat(config.port()).isEqualTo(4789);
        assertThat(config.deviceName()).isEqualTo(DEVICE);
        assertThat(new OverlayConfig(BRIDGE, OverlayConfig.MAX_VNI, LOCAL, 8472).deviceName())
                .isEqualTo("kvx16777215").hasSizeLessThanOrEqualTo(15);
        for (int vni : new int[] {0, -1, OverlayConfig.MAX_VNI + 1}) {
            assertThatThrownBy(() -> new OverlayConfig(BRIDGE, vni, LOCAL, 4789))
                    .isInstanceOfSatisfying(NetException.class, e -> {
                        assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                        assertThat(e.getMessage()).contains("invalid VXLAN id " + vni);
                        assertThat(e.hint()).contains("16777215");
                    });
        }
        assertThatThrownBy(() -> new OverlayConfig(BRIDGE, 4242, LOCAL, 65536))
                .isInstanceOfSatisfying(NetException.class, e -> assertThat(e.getMessage()).contains("port 65536"));
        for (String bad : List.of("host-a", "172.29.0", "172.29.0.256", "0.0.0.0", "127.0.0.1", "239.1.1.1",
                "255.255.255.255")) {
            assertThatThrownBy(() -> new OverlayConfig(BRIDGE, bad))
                    .isInstanceOfSatisfying(NetException.class, e -> {
                        assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                        assertThat(e.getMessage()).contains(bad);
                    });
        }
        assertThatThrownBy(() -> new OverlayConfig("bridge-name-too-long", LOCAL))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
    }

    @Test
    void openCreatesALabelledVxlanPortOfTheBridgeOnTheUnderlay() {
        VxlanOverlay overlay = open();

        assertThat(kernel.mutations()).containsExactly(
                List.of("ip", "link", "add", DEVICE, "type", "vxlan", "id", "4242", "local", LOCAL, "dstport", "4789",
                        "dev", "eth1", "gbp"),
                List.of("ip", "link", "set", "dev", DEVICE, "alias", LABEL),
                List.of("ip", "link", "set", "dev", DEVICE, "master", BRIDGE),
                List.of("ip", "link", "set", "dev", DEVICE, "up"));
        FakeKernel.FakeLink device = kernel.links.get(DEVICE);
        assertThat(device.alias).isEqualTo(LABEL);
        assertThat(device.master).isEqualTo(BRIDGE);
        assertThat(device.up).isTrue();
        assertThat(device.learning).isTrue();
        assertThat(overlay.deviceName()).isEqualTo(DEVICE);
        assertThat(overlay.mtu()).isEqualTo(1500);
        assertThat(overlay.peers()).isEmpty();
    }

    @Test
    void openAgainChangesNothing() {
        open().setPeers(Set.of("172.29.0.2"));
        kernel.executed.clear();

        VxlanOverlay again = open();
        assertThat(kernel.mutations()).isEmpty();
        assertThat(again.peers()).containsExactly("172.29.0.2");
    }

    @Test
    void anAddressOnLoopbackGetsNoDevice() {
        kernel.addLink("lo", "").up = true;
        kernel.addAddress("lo", "192.0.2.7/32");
        VxlanOverlay.open(new OverlayConfig(BRIDGE, "192.0.2.7"), kernel.environment());
        assertThat(kernel.mutations().getFirst()).containsSequence("local", "192.0.2.7", "dstport", "4789")
                .doesNotContain("dev");
    }

    @Test
    void aSmallUnderlayMtuIsReportedWithWhatItMeansForGuests() {
        kernel.links.get("eth1").mtu = 1500;
        var captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        VxlanOverlay overlay;
        try {
            overlay = open();
        } finally {
            System.setErr(stderr);
        }
        assertThat(overlay.mtu()).isEqualTo(1450).isLessThan(VxlanOverlay.GUEST_MTU);
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).contains("INFO",
                "overlay device kvx4242 has MTU 1450", "guests booted from now on get it too (kiln.mtu=1450)",
                "An underlay MTU of 1550 keeps guests at 1500");

        kernel.links.get("eth1").mtu = 1550;
        kernel.links.remove(DEVICE);
        captured.reset();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertThat(open().mtu()).isEqualTo(1500);
        } finally {
            System.setErr(stderr);
        }
        assertThat(captured.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("kiln.mtu");
    }

    @Test
    void aRaisedUnderlayMtuRecreatesASmallDeviceOnReopen() {
        kernel.links.get("eth1").mtu = 1500;
        open().setPeers(Set.of("172.29.0.2"));
        kernel.executed.clear();
        assertThat(open().mtu()).isEqualTo(1450);
        assertThat(kernel.mutations()).as("nothing to gain: kept").isEmpty();

        kernel.links.get("eth1").mtu = 1550;
        VxlanOverlay overlay = open();
        assertThat(overlay.mtu()).isEqualTo(1500);
        assertThat(kernel.mutations().getFirst()).isEqualTo(List.of("ip", "link", "del", "dev", DEVICE));
        assertThat(overlay.peers()).as("a recreated device starts without peers").isEmpty();
    }

    @Test
    void anUnlabelledDeviceOfThatNameIsAConflictAndStaysUntouched() {
        FakeKernel.FakeLink foreign = kernel.addLink(DEVICE, "vxlan");
        foreign.vni = 4242;
        foreign.local = LOCAL;
        foreign.port = 4789;

        assertThatThrownBy(this::open).isInstanceOfSatisfying(NetException.class, e -> {
            assertThat(e.code()).isEqualTo(NetError.LINK_CONFLICT);
            assertThat(e.getMessage()).contains(DEVICE, "not kiln's overlay device of bridge " + BRIDGE,
                    "kind: vxlan", "alias: none");
            assertThat(e.hint()).contains("another VNI", "ip link del " + DEVICE);
        });
        assertThat(kernel.mutations()).isEmpty();
        assertThat(kernel.links.get(DEVICE).alias).isNull();
    }

    @Test
    void theOverlayOfAnotherKilnBridgeIsAConflict() {
        kernel.addLink(DEVICE, "vxlan").alias = "kiln:overlay,bridge=kiln9";
        assertThatThrownBy(this::open).isInstanceOfSatisfying(NetException.class, e -> {
            assertThat(e.code()).isEqualTo(NetError.LINK_CONFLICT);
            assertThat(e.hint()).contains("overlay of kiln bridge kiln9", "another VNI");
        });
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void kilnsDeviceWithOtherSettingsIsRecreated() {
        open().setPeers(Set.of("172.29.0.2"));
        kernel.links.get(DEVICE).port = 8472;
        kernel.executed.clear();

        VxlanOverlay overlay = open();
        assertThat(kernel.mutations()).containsExactly(
                List.of("ip", "link", "del", "dev", DEVICE),
                List.of("ip", "link", "add", DEVICE, "type", "vxlan", "id", "4242", "local", LOCAL, "dstport", "4789",
                        "dev", "eth1", "gbp"),
                List.of("ip", "link", "set", "dev", DEVICE, "alias", LABEL),
                List.of("ip", "link", "set", "dev", DEVICE, "master", BRIDGE),
                List.of("ip", "link", "set", "dev", DEVICE, "up"));
        assertThat(kernel.links.get(DEVICE).port).isEqualTo(4789);
        assertThat(overlay.peers()).isEmpty();
    }

    @Test
    void learningSwitchedOffCountsAsOtherSettings() {
        open();
        kernel.links.get(DEVICE).learning = false;
        kernel.executed.clear();
        open();
        assertThat(kernel.mutations().getFirst()).isEqualTo(List.of("ip", "link", "del", "dev", DEVICE));
        assertThat(kernel.links.get(DEVICE).learning).isTrue();
    }

    @Test
    void aDeviceWithoutGroupPolicyIsRecreatedWithIt() {
        open();
        kernel.links.get(DEVICE).gbp = false;
        kernel.executed.clear();
        open();
        assertThat(kernel.mutations().getFirst()).isEqualTo(List.of("ip", "link", "del", "dev", DEVICE));
        assertThat(kernel.links.get(DEVICE).gbp).as("tenant tags need VXLAN's group policy extension").isTrue();
    }

    @Test
    void aFailedStepDeletesTheDeviceItCreated() {
        kernel.failNext(argv -> argv.contains("master"));
        assertThatThrownBy(this::open).isInstanceOfSatisfying(NetException.class, e -> {
            assertThat(e.code()).isEqualTo(NetError.COMMAND_FAILED);
            assertThat(e.hint()).contains("CAP_NET_ADMIN");
        });
        assertThat(kernel.links).doesNotContainKey(DEVICE);
    }

    @Test
    void missingBridgeOrForeignLocalAddressIsAClearError() {
        assertThatThrownBy(() -> VxlanOverlay.open(new OverlayConfig("kiln7", LOCAL), kernel.environment()))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("bridge kiln7 does not exist");
                    assertThat(e.hint()).contains("HostNetwork.open");
                });
        assertThatThrownBy(() -> VxlanOverlay.open(new OverlayConfig(BRIDGE, "172.29.0.9"), kernel.environment()))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("172.29.0.9 is not configured on any interface");
                    assertThat(e.hint()).contains("--advertise");
                });
        assertThatThrownBy(() -> VxlanOverlay.open(new OverlayConfig(BRIDGE, "10.90.1.1"), kernel.environment()))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.getMessage()).contains("belongs to the bridge " + BRIDGE));
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void setPeersAddsOneFloodEntryPerPeerAndIgnoresTheLocalAddress() {
        VxlanOverlay overlay = open();
        kernel.executed.clear();

        overlay.setPeers(Set.of("172.29.0.3", LOCAL, "172.29.0.2"));
        assertThat(kernel.mutations()).containsExactly(
                List.of("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", DEVICE, "dst", "172.29.0.2"),
                List.of("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", DEVICE, "dst", "172.29.0.3"));
        assertThat(overlay.peers()).containsExactly("172.29.0.2", "172.29.0.3");

        kernel.executed.clear();
        overlay.setPeers(Set.of("172.29.0.2", "172.29.0.3"));
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void removingAPeerDeletesItsFloodEntryAndWhatWasLearnedBehindIt() {
        VxlanOverlay overlay = open();
        overlay.setPeers(Set.of("172.29.0.2", "172.29.0.3"));
        kernel.learn(DEVICE, "52:54:00:aa:bb:02", "172.29.0.2");
        kernel.learn(DEVICE, "52:54:00:aa:bb:03", "172.29.0.3");
        kernel.executed.clear();

        overlay.setPeers(Set.of("172.29.0.3"));
        assertThat(kernel.mutations()).containsExactly(
                List.of("bridge", "fdb", "del", "00:00:00:00:00:00", "dev", DEVICE, "dst", "172.29.0.2"),
                List.of("bridge", "fdb", "del", "52:54:00:aa:bb:02", "dev", DEVICE, "dst", "172.29.0.2"));
        assertThat(overlay.peers()).containsExactly("172.29.0.3");
        assertThat(kernel.links.get(DEVICE).fdb).extracting(entry -> entry[1]).containsOnly("172.29.0.3");

        overlay.setPeers(Set.of());
        assertThat(overlay.peers()).isEmpty();
        assertThat(kernel.links.get(DEVICE).fdb).isEmpty();
    }

    @Test
    void peerPlanIsAPureDiff() {
        var observed = List.of(new VxlanOverlay.FdbEntry("52:54:00:00:00:01", "10.0.0.2"),
                new VxlanOverlay.FdbEntry(VxlanOverlay.ANY_MAC, "10.0.0.2"),
                new VxlanOverlay.FdbEntry(VxlanOverlay.ANY_MAC, "10.0.0.3"));
        var plan = VxlanOverlay.PeerPlan.of(observed, Set.of("10.0.0.3", "10.0.0.4"));
        assertThat(plan.add()).containsExactly("10.0.0.4");
        assertThat(plan.delete()).containsExactly(observed.get(1), observed.get(0));
        assertThat(plan.removedPeers()).containsExactly("10.0.0.2");
        assertThat(VxlanOverlay.PeerPlan.of(observed.subList(1, 3), Set.of("10.0.0.2", "10.0.0.3")).isEmpty())
                .isTrue();
    }

    @Test
    void anInvalidPeerChangesNothing() {
        VxlanOverlay overlay = open();
        overlay.setPeers(Set.of("172.29.0.2"));
        kernel.executed.clear();
        assertThatThrownBy(() -> overlay.setPeers(Set.of("172.29.0.3", "host-b")))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("peer address 'host-b'");
                });
        assertThat(kernel.executed).isEmpty();
        assertThat(overlay.peers()).containsExactly("172.29.0.2");
    }

    @Test
    void teardownDeletesTheDeviceAndIsIdempotent() {
        VxlanOverlay overlay = open();
        overlay.teardown();
        assertThat(kernel.links).doesNotContainKey(DEVICE);
        overlay.teardown();
        assertThatThrownBy(() -> overlay.setPeers(Set.of("172.29.0.2")))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.CLOSED);
                    assertThat(e.hint()).contains("VxlanOverlay.open");
                });
    }

    @Test
    void aDeviceDeletedBehindTheOverlaysBackIsAClearError() {
        VxlanOverlay overlay = open();
        kernel.links.remove(DEVICE);
        kernel.executed.clear();
        assertThatThrownBy(() -> overlay.setPeers(Set.of("172.29.0.2")))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.VERIFY_FAILED);
                    assertThat(e.getMessage()).contains("overlay device " + DEVICE + " of bridge " + BRIDGE
                            + " is gone");
                    assertThat(e.hint()).contains("VxlanOverlay.open");
                });
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void teardownLeavesADeviceThatIsNoLongerKilnsAlone() {
        VxlanOverlay overlay = open();
        kernel.links.get(DEVICE).alias = "someone-else";
        kernel.executed.clear();
        overlay.teardown();
        assertThat(kernel.links).containsKey(DEVICE);
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void removeLabelledTakesOnlyTheOverlaysOfTheBridge() {
        open();
        kernel.addLink("kvx7", "vxlan").alias = "kiln:overlay,bridge=kiln9";
        kernel.addLink("kvx8", "vxlan");
        var links = new Links(new Commands(kernel, new com.fasterxml.jackson.databind.ObjectMapper()));

        assertThat(VxlanOverlay.labelled(links, BRIDGE)).containsExactly(DEVICE);
        assertThat(VxlanOverlay.removeLabelled(links, BRIDGE)).containsExactly(DEVICE);
        assertThat(kernel.links).doesNotContainKey(DEVICE).containsKeys("kvx7", "kvx8", BRIDGE);
        assertThat(LinkLabel.parse(LABEL)).contains(new LinkLabel.Overlay(BRIDGE));
    }
}
