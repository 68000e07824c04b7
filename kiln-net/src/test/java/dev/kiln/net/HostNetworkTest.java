package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against the real kernel, as root, on a test-only bridge and subnet; everything is removed after each test. */
class HostNetworkTest {
    private static final NicLimits LIMITED = new NicLimits(
            RateLimiter.bandwidth(TokenBucket.of(1_250_000, Duration.ofMillis(100))),
            RateLimiter.bandwidth(new TokenBucket(62_500, 100_000, Duration.ofMillis(100))));

    private final TestHost host = new TestHost();
    private final List<HostNetwork> networks = new ArrayList<>();
    private final List<NetworkConfig> configs = new ArrayList<>();
    private final List<String> foreignLinks = new ArrayList<>();

    @TempDir
    Path stateDir;

    private HostNetwork open(NetworkConfig config) {
        configs.add(config);
        HostNetwork network = HostNetwork.open(config);
        networks.add(network);
        return network;
    }

    private HostNetwork open() {
        return open(host.freshConfig(stateDir));
    }

    private String foreignIfb(String name) {
        foreignLinks.add(name);
        host.links.createIfb(name);
        return name;
    }

    @AfterEach
    void cleanUp() {
        var failures = new ArrayList<Throwable>();
        for (HostNetwork network : networks) {
            try {
                network.teardown();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        for (NetworkConfig config : configs) {
            try {
                host.forceCleanup(config);
            } catch (RuntimeException | AssertionError e) {
                failures.add(e);
            }
        }
        foreignLinks.forEach(host.links::delete);
        assertThat(failures).isEmpty();
    }

    @Test
    void openCreatesLabelledBridgeNatTableAndForwarding() throws Exception {
        HostNetwork network = open();
        NetworkConfig config = network.config();
        Links.Link bridge = host.links.find(config.bridgeName()).orElseThrow();
        assertThat(bridge.kind()).isEqualTo("bridge");
        assertThat(bridge.alias()).contains("kiln:bridge");
        assertThat(bridge.isUp()).isTrue();
        assertThat(host.links.addresses()).contains(new Links.Address(config.bridgeName(), config.gatewayAddress()));
        assertThat(Files.readString(Path.of("/proc/sys/net/ipv4/ip_forward")).strip()).isEqualTo("1");
        String ruleset = host.commands.check("nft", "list", "table", "ip", config.nftTableName());
        assertThat(ruleset).contains("ip saddr " + config.subnet() + " oifname != \"" + config.bridgeName()
                + "\" masquerade", "iifname \"" + config.bridgeName() + "\" accept");

        HostNetwork again = HostNetwork.open(config);
        networks.add(again);
        assertThat(host.links.find(config.bridgeName()).orElseThrow().mac()).isEqualTo(bridge.mac());
    }

    @Test
    void guestsGetTheBridgesMtuAtMost1500() throws Exception {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        assertThat(network.guestMtu()).as("a fresh bridge").isEqualTo(1500);
        // a bridge takes the smallest MTU of its ports: a VXLAN overlay on a 1500-byte underlay makes it 1450
        assertThat(new ProcessBuilder("ip", "link", "set", "dev", bridge, "mtu", "1450").start().waitFor()).isZero();
        assertThat(network.guestMtu()).isEqualTo(1450);
        assertThat(new ProcessBuilder("ip", "link", "set", "dev", bridge, "mtu", "9000").start().waitFor()).isZero();
        assertThat(network.guestMtu()).as("never above what guests send by default").isEqualTo(1500);
    }

    @Test
    void attachCreatesLabelledTapOnTheBridgeWithStableMac() {
        HostNetwork network = open();
        NetworkConfig config = network.config();
        VmNetwork vm = network.attach("vm-a", NicLimits.none());

        assertThat(vm.vmId()).isEqualTo("vm-a");
        assertThat(vm.tapName()).matches("ktap-[0-9a-f]{8}").hasSizeLessThan(16);
        assertThat(vm.mac()).isEqualTo(MacAddress.forVm("vm-a"));
        assertThat(vm.address()).isEqualTo(config.subnet().withAddress(config.subnet().addressAt(2)));
        assertThat(vm.gateway()).isEqualTo(config.subnet().gateway());
        assertThat(vm.bridge()).isEqualTo(config.bridgeName());

        Links.Link tap = host.links.find(vm.tapName()).orElseThrow();
        assertThat(tap.kind()).isEqualTo("tun");
        assertThat(tap.master()).contains(config.bridgeName());
        assertThat(tap.alias()).contains("kiln:vm=vm-a,bridge=" + config.bridgeName());
        assertThat(tap.isUp()).isTrue();
        assertThat(network.lookup("vm-a")).contains(vm);
        assertThat(network.lookup("vm-unknown")).isEmpty();
    }

    @Test
    void tapCanBeOpenedLikeAVmmAndReachesTheGateway() throws Exception {
        HostNetwork network = open();
        VmNetwork vm = network.attach("vm-a", NicLimits.none());
        try (TapHandle guest = TapHandle.open(vm.tapName())) {
            assertThat(host.links.find(vm.tapName()).orElseThrow().flags()).contains("LOWER_UP");
            assertThat(guest.write(Frames.arpRequest(vm.mac(), vm.address().address(), vm.gateway()))).isTrue();
            Optional<byte[]> reply = Optional.empty();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (reply.isEmpty() && System.nanoTime() < deadline) {
                reply = guest.read(Duration.ofMillis(200)).filter(frame -> Frames.isArpReplyFrom(frame,
                        vm.gateway()));
            }
            assertThat(reply).as("ARP reply from the gateway on the bridge").isPresent();
        }
    }

    @Test
    void guestsOnTheBridgeReachEachOtherOverIp() throws Exception {
        HostNetwork network = open();
        VmNetwork a = network.attach("vm-a", NicLimits.none());
        VmNetwork b = network.attach("vm-b", NicLimits.none());
        byte[] marker = ("kiln-" + TestHost.randomSuffix(12)).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (TapHandle tapA = TapHandle.open(a.tapName()); TapHandle tapB = TapHandle.open(b.tapName())) {
            Optional<byte[]> received = Optional.empty();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                tapA.write(Frames.udp(a.mac(), b.mac(), a.address().address(), b.address().address(), marker));
                received = tapB.read(Duration.ofMillis(200)).filter(frame -> Frames.contains(frame, marker));
            }
            assertThat(received).as("UDP frame from vm-a bridged (through the forward hook) to vm-b").isPresent();
        }
    }

    @Test
    void aTapSendsOnlyFromItsOwnMacAndAddressAndOnlyIpv4OrArp() throws Exception {
        HostNetwork network = open();
        VmNetwork a = network.attach("vm-a", NicLimits.none());
        VmNetwork b = network.attach("vm-b", NicLimits.none());
        String unleased = network.config().subnet().addressAt(200);
        try (TapHandle tapA = TapHandle.open(a.tapName()); TapHandle tapB = TapHandle.open(b.tapName())) {
            byte[] spoofedIp = "kiln-spoofed-ip".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] spoofedMac = "kiln-spoofed-mac".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] genuine = "kiln-genuine".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            MacAddress otherMac = MacAddress.forVm("not-a-vm-of-this-host");
            var received = new java.util.ArrayList<byte[]>();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (received.stream().noneMatch(f -> Frames.contains(f, genuine)) && System.nanoTime() < deadline) {
                tapA.write(Frames.udp(a.mac(), b.mac(), unleased, b.address().address(), spoofedIp));
                tapA.write(Frames.udp(otherMac, b.mac(), a.address().address(), b.address().address(), spoofedMac));
                tapA.write(Frames.experimental(a.mac(), b.mac(), 200));
                tapA.write(Frames.udp(a.mac(), b.mac(), a.address().address(), b.address().address(), genuine));
                tapB.read(Duration.ofMillis(200)).ifPresent(received::add);
                for (var next = tapB.poll(); next.isPresent(); next = tapB.poll()) {
                    received.add(next.get());
                }
            }
            assertThat(received).as("the genuine datagram arrived").anyMatch(f -> Frames.contains(f, genuine));
            assertThat(received).as("spoofed IP").noneMatch(f -> Frames.contains(f, spoofedIp));
            assertThat(received).as("spoofed MAC").noneMatch(f -> Frames.contains(f, spoofedMac));
            assertThat(received).as("another EtherType")
                    .noneMatch(f -> Frames.etherType(f) == Frames.ETH_EXPERIMENTAL);

            byte[] spoofedArp = Frames.arpRequest(a.mac(), unleased, a.gateway());
            tapA.write(spoofedArp);
            assertThat(tapA.read(Duration.ofSeconds(1)).filter(f -> Frames.isArpReplyFrom(f, a.gateway())))
                    .as("no ARP reply to a request with a spoofed sender address").isEmpty();
        }
    }

    @Test
    void aPodAddressSharesItsVmsTapUntilReleasedAndGoesWithTheLease() throws Exception {
        HostNetwork network = open();
        Ipv4Cidr subnet = network.config().subnet();
        assertThatThrownBy(() -> network.addAddress("vm-a", "pod:web-1")).isInstanceOfSatisfying(NetException.class,
                e -> assertThat(e.code()).isEqualTo(NetError.NOT_ATTACHED));
        var denied = new GuestPolicy("alpha", GuestPolicy.Egress.DENY);
        VmNetwork a = network.attach("vm-a", NicLimits.none(), denied);
        for (String bad : List.of("", "pod web", "pod;drop", "p".repeat(129))) {
            assertThatThrownBy(() -> network.addAddress("vm-a", bad)).isInstanceOfSatisfying(NetException.class,
                    e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
        }
        String pod = network.addAddress("vm-a", "pod:web-1");
        assertThat(pod).isEqualTo(subnet.addressAt(3));
        assertThat(network.addAddress("vm-a", "pod:web-1")).isEqualTo(pod);
        VmNetwork b = network.attach("vm-b", NicLimits.none(), new GuestPolicy("alpha", GuestPolicy.Egress.ALLOW));
        assertThat(b.address().address()).as("attach skips the extra address").isEqualTo(subnet.addressAt(4));
        assertThat(network.addresses("vm-a")).containsExactly(java.util.Map.entry("pod:web-1", pod));
        assertThat(network.addresses("vm-b")).isEmpty();
        assertThat(guestIps(network)).contains(ipElement(a, pod));
        assertThat(egressDenied(network)).contains(pod, a.address().address());

        try (TapHandle tapA = TapHandle.open(a.tapName()); TapHandle tapB = TapHandle.open(b.tapName())) {
            byte[] fromPod = "kiln-from-pod".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(sendUntilReceived(tapA, tapB, Frames.udp(a.mac(), b.mac(), pod, b.address().address(),
                    fromPod), fromPod)).as("a datagram from the pod's address, with the vm's MAC").isTrue();

            // every re-admit of the tap renders the extra address with the lease
            network.attach("vm-a", NicLimits.none(), new GuestPolicy("alpha", GuestPolicy.Egress.ALLOW));
            assertThat(egressDenied(network)).doesNotContain(pod);
            network.attach("vm-a", NicLimits.none(), denied);
            assertThat(egressDenied(network)).contains(pod);
            network.lendIdentity("vm-a", MacAddress.forVm("template"), subnet.addressAt(100));
            network.returnIdentity("vm-a");
            assertThat(guestIps(network)).contains(ipElement(a, pod)).doesNotContain(subnet.addressAt(100));

            network.releaseAddress("vm-a", "pod:web-1");
            network.releaseAddress("vm-a", "pod:web-1");
            network.releaseAddress("vm-never", "pod:web-1");
            assertThat(network.addresses("vm-a")).isEmpty();
            assertThat(guestIps(network)).doesNotContain(ipElement(a, pod)).contains(ipElement(a,
                    a.address().address()));
            assertThat(egressDenied(network)).doesNotContain(pod).contains(a.address().address());
            byte[] released = "kiln-from-released-pod".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            byte[] own = "kiln-from-own".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            var received = new ArrayList<byte[]>();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (received.stream().noneMatch(f -> Frames.contains(f, own)) && System.nanoTime() < deadline) {
                tapA.write(Frames.udp(a.mac(), b.mac(), pod, b.address().address(), released));
                tapA.write(Frames.udp(a.mac(), b.mac(), a.address().address(), b.address().address(), own));
                tapB.read(Duration.ofMillis(200)).ifPresent(received::add);
            }
            assertThat(received).as("the vm's own address still passes").anyMatch(f -> Frames.contains(f, own));
            assertThat(received).as("the released address").noneMatch(f -> Frames.contains(f, released));
        }

        // the extras go with their lease: sweep, and detach
        String again = network.addAddress("vm-a", "pod:web-2");
        assertThat(network.sweep(Set.of("vm-b")).releasedLeases()).containsExactly("vm-a");
        assertThat(guestIps(network)).doesNotContain(again);
        assertThat(egressDenied(network)).doesNotContain(again);
        String onB = network.addAddress("vm-b", "pod:db-1");
        assertThat(onB).as("the swept lease's addresses are free again").isEqualTo(subnet.addressAt(2));
        network.detach("vm-b");
        assertThat(guestIps(network)).doesNotContain(onB);
        assertThat(network.addresses("vm-b")).isEmpty();
    }

    private boolean sendUntilReceived(TapHandle from, TapHandle to, byte[] frame, byte[] marker) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            from.write(frame);
            if (to.read(Duration.ofMillis(200)).filter(f -> Frames.contains(f, marker)).isPresent()) {
                return true;
            }
        }
        return false;
    }

    private String guestIps(HostNetwork network) {
        return host.commands.check("nft", "list", "set", "bridge", network.config().nftTableName(),
                GuestGuard.GUEST_IP);
    }

    private String egressDenied(HostNetwork network) {
        return host.commands.check("nft", "list", "set", "ip", network.config().nftTableName(),
                GuestGuard.EGRESS_DENY);
    }

    private static String ipElement(VmNetwork vm, String address) {
        return "\"" + vm.tapName() + "\" . " + address;
    }

    @Test
    void attachTwiceIsIdempotent() {
        HostNetwork network = open();
        VmNetwork first = network.attach("vm-a", LIMITED);
        List<Links.Link> linksBefore = host.kilnVmLinks(network.config().bridgeName());
        VmNetwork second = network.attach("vm-a", LIMITED);

        assertThat(second).isEqualTo(first);
        assertThat(host.kilnVmLinks(network.config().bridgeName())).extracting(Links.Link::name)
                .containsExactlyInAnyOrderElementsOf(linksBefore.stream().map(Links.Link::name).toList());
        assertThat(network.attach("vm-b", NicLimits.none()).address().address())
                .isEqualTo(network.config().subnet().addressAt(3));
    }

    @Test
    void detachRemovesTapIfbAndLeaseAndIsIdempotent() {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        VmNetwork vm = network.attach("vm-a", LIMITED);
        String ifb = LinkLabel.ifbName(bridge, "vm-a");
        assertThat(host.links.find(ifb)).isPresent();

        network.detach("vm-a");
        assertThat(host.links.find(vm.tapName())).isEmpty();
        assertThat(host.links.find(ifb)).isEmpty();
        assertThat(network.lookup("vm-a")).isEmpty();

        network.detach("vm-a");
        network.detach("never-attached");
        assertThat(network.attach("vm-c", NicLimits.none()).address()).isEqualTo(vm.address());
    }

    @Test
    void detachWorksWhileAVmmStillHoldsTheTap() {
        HostNetwork network = open();
        VmNetwork vm = network.attach("vm-a", LIMITED);
        try (TapHandle guest = TapHandle.open(vm.tapName())) {
            assertThat(guest.poll()).isEmpty();
            network.detach("vm-a");
            assertThat(host.links.find(vm.tapName())).isEmpty();
        }
        assertThat(host.kilnVmLinks(network.config().bridgeName())).isEmpty();
    }

    @Test
    void sweepRemovesOrphansAndLeavesOtherLinksAlone() {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        String foreign = foreignIfb("kntest" + TestHost.randomSuffix(4));
        String lookalike = foreignIfb("ktap-" + TestHost.randomSuffix(8));
        VmNetwork a = network.attach("vm-a", LIMITED);
        VmNetwork b = network.attach("vm-b", NicLimits.none());

        SweepReport first = network.sweep(Set.of("vm-b"));
        assertThat(first.removedLinks()).containsExactlyInAnyOrder(a.tapName(), LinkLabel.ifbName(bridge, "vm-a"));
        assertThat(first.releasedLeases()).containsExactly("vm-a");
        assertThat(host.links.find(b.tapName())).isPresent();
        assertThat(network.lookup("vm-b")).contains(b);
        var guard = new GuestGuard(host.commands, network.config());
        assertThat(guard.portsIn(GuestGuard.GUEST_PORT)).containsExactly(b.tapName());
        // elements of a tap that has no lease (a crash between admit and the lease's release) go with a sweep
        guard.admit(new Lease("ghost", network.config().subnet().addressAt(100), "02:00:00:00:00:99", "ktap-ghost01",
                "ghosts", GuestPolicy.Egress.DENY));
        assertThat(guard.portsIn(GuestGuard.GUEST_PORT)).contains("ktap-ghost01");

        SweepReport second = network.sweep(Set.of());
        assertThat(second.removedLinks()).containsExactly(b.tapName());
        assertThat(second.releasedLeases()).containsExactly("vm-b");
        assertThat(host.kilnVmLinks(bridge)).isEmpty();
        assertThat(network.sweep(Set.of()).isEmpty()).isTrue();
        assertThat(guard.portsIn(GuestGuard.GUEST_PORT)).isEmpty();
        assertThat(guard.portsIn(GuestGuard.TENANT_PORT)).isEmpty();
        assertThat(host.commands.check("nft", "list", "set", "ip", network.config().nftTableName(),
                GuestGuard.EGRESS_DENY)).doesNotContain(network.config().subnet().addressAt(100));

        assertThat(host.links.find(foreign)).isPresent();
        assertThat(host.links.find(lookalike)).isPresent();
        assertThat(host.links.find(bridge)).isPresent();
    }

    @Test
    void sweepFindsLabelledLinksWithoutLeases(@TempDir Path otherStateDir) {
        HostNetwork network = open();
        VmNetwork a = network.attach("vm-a", LIMITED);
        HostNetwork restarted = open(new NetworkConfig(network.config().bridgeName(), network.config().subnet(),
                otherStateDir));

        SweepReport report = restarted.sweep(Set.of());
        assertThat(report.removedLinks()).containsExactlyInAnyOrder(a.tapName(),
                LinkLabel.ifbName(network.config().bridgeName(), "vm-a"));
        assertThat(report.releasedLeases()).isEmpty();
        assertThat(host.kilnVmLinks(network.config().bridgeName())).isEmpty();
    }

    @Test
    void teardownLeavesNothingBehind() {
        HostNetwork network = open();
        NetworkConfig config = network.config();
        network.attach("vm-a", LIMITED);
        network.attach("vm-b", NicLimits.none());

        network.teardown();
        assertThat(host.kilnVmLinks(config.bridgeName())).isEmpty();
        assertThat(host.links.find(config.bridgeName())).isEmpty();
        assertThat(host.nftTableExists(config.nftTableName())).isFalse();
        assertThat(config.netStateDir().resolve("leases.json")).doesNotExist();

        network.teardown();
        assertThatThrownBy(() -> network.attach("vm-c", NicLimits.none()))
                .isInstanceOfSatisfying(NetException.class, e -> assertThat(e.code()).isEqualTo(NetError.CLOSED));
    }

    @Test
    void twentyAttachDetachCyclesLeaveNothingBehind() {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        for (int i = 0; i < 20; i++) {
            String vmId = "cycle-" + i;
            VmNetwork vm = network.attach(vmId, i % 2 == 0 ? LIMITED : NicLimits.none());
            assertThat(vm.address().address()).isEqualTo(network.config().subnet().addressAt(2));
            network.detach(vmId);
        }
        assertThat(host.kilnVmLinks(bridge)).isEmpty();
        assertThat(host.links.list()).noneMatch(link -> link.master().filter(bridge::equals).isPresent());
        assertThat(network.sweep(Set.of()).isEmpty()).isTrue();
    }

    @Test
    void limitsBecomeTbfOnTheTapAndAnIfbRedirect() {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        VmNetwork vm = network.attach("vm-a", LIMITED);
        String ifb = LinkLabel.ifbName(bridge, "vm-a");

        JsonNode rx = host.rootQdisc(vm.tapName()).orElseThrow();
        assertThat(rx.path("kind").asText()).isEqualTo("tbf");
        assertThat(rx.path("options").path("rate").asLong()).isEqualTo(12_500_000);
        assertThat(rx.path("options").path("burst").asLong()).isEqualTo(1_250_000);

        Links.Link ifbLink = host.links.find(ifb).orElseThrow();
        assertThat(ifbLink.kind()).isEqualTo("ifb");
        assertThat(ifbLink.alias()).contains("kiln:vm=vm-a,bridge=" + bridge);
        assertThat(ifbLink.isUp()).isTrue();
        JsonNode tx = host.rootQdisc(ifb).orElseThrow();
        assertThat(tx.path("kind").asText()).isEqualTo("tbf");
        assertThat(tx.path("options").path("rate").asLong()).isEqualTo(625_000);
        assertThat(tx.path("options").path("burst").asLong()).isEqualTo(162_500);

        assertThat(host.qdiscs(vm.tapName())).anyMatch(q -> q.path("kind").asText().equals("ingress"));
        assertThat(host.ingressFilters(vm.tapName()).toString()).contains("\"kind\":\"u32\"",
                "\"kind\":\"mirred\"", "\"mirred_action\":\"redirect\"", "\"to_dev\":\"" + ifb + "\"");

        network.updateLimits("vm-a", new NicLimits(RateLimiter.bandwidth(TokenBucket.of(250_000,
                Duration.ofSeconds(1))), RateLimiter.none()));
        assertThat(host.rootQdisc(vm.tapName()).orElseThrow().path("options").path("rate").asLong())
                .isEqualTo(250_000);
        assertThat(host.links.find(ifb)).isEmpty();
        assertThat(host.qdiscs(vm.tapName())).noneMatch(q -> q.path("kind").asText().equals("ingress"));

        network.updateLimits("vm-a", NicLimits.none());
        assertThat(host.rootQdisc(vm.tapName()).map(q -> q.path("kind").asText())).isNotEqualTo(
                Optional.of("tbf"));
    }

    @Test
    void opsLimitsAreRefusedBeforeAnythingChanges() {
        HostNetwork network = open();
        var ops = new RateLimiter(Optional.empty(), Optional.of(TokenBucket.of(1000, Duration.ofSeconds(1))));
        assertThatThrownBy(() -> network.attach("vm-a", new NicLimits(ops, RateLimiter.none())))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.UNSUPPORTED_LIMIT);
                    assertThat(e.getMessage()).contains("not supported on the QEMU/tap path");
                });
        assertThat(network.lookup("vm-a")).isEmpty();
        assertThat(host.kilnVmLinks(network.config().bridgeName())).isEmpty();
        assertThatThrownBy(() -> network.updateLimits("vm-a", NicLimits.none()))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.NOT_ATTACHED));
    }

    @Test
    void exhaustedSubnetIsAClearErrorAndLeavesNoTap() {
        HostNetwork network = open(new NetworkConfig(host.freshBridgeName(), host.freshSubnet(29), stateDir));
        for (int i = 0; i < 5; i++) {
            network.attach("vm-" + i, NicLimits.none());
        }
        assertThatThrownBy(() -> network.attach("vm-5", NicLimits.none()))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED);
                    assertThat(e.getMessage()).contains(network.config().subnet().toString());
                });
        assertThat(host.links.find(LinkLabel.tapName(network.config().bridgeName(), "vm-5"))).isEmpty();
        assertThat(host.kilnVmLinks(network.config().bridgeName())).hasSize(5);
    }

    @Test
    void invalidCidrIsAClearError() {
        assertThatThrownBy(() -> new NetworkConfig("kbrtx", Ipv4Cidr.parse("10.79.0.0/33"), stateDir))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("10.79.0.0/33");
                });
        assertThatThrownBy(() -> new NetworkConfig("kbrtx", Ipv4Cidr.parse("10.79.0.9/24"), stateDir))
                .isInstanceOfSatisfying(NetException.class, e -> assertThat(e.hint()).contains("10.79.0.0/24"));
        assertThatThrownBy(() -> new NetworkConfig("bridge-name-too-long", Ipv4Cidr.parse("10.79.0.0/24"),
                stateDir)).isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
    }

    @Test
    void bridgeNameClashWithANonKilnLinkChangesNothing() {
        String clash = foreignIfb("kbrt" + TestHost.randomSuffix(4));
        Links.Link before = host.links.find(clash).orElseThrow();
        var config = new NetworkConfig(clash, host.freshSubnet(24), stateDir);
        configs.add(config);

        assertThatThrownBy(() -> HostNetwork.open(config))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.BRIDGE_CONFLICT);
                    assertThat(e.getMessage()).contains(clash, "kind: ifb");
                    assertThat(e.hint()).contains("another bridge name");
                });
        assertThat(host.links.find(clash)).contains(before);
        assertThat(host.links.addresses()).noneMatch(address -> address.link().equals(clash));
        assertThat(host.nftTableExists(config.nftTableName())).isFalse();
    }

    @Test
    void subnetUsedByAnotherInterfaceIsAConflict() {
        HostNetwork first = open();
        var second = new NetworkConfig(host.freshBridgeName(), first.config().subnet(), stateDir.resolve("b"));
        configs.add(second);
        assertThatThrownBy(() -> HostNetwork.open(second))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.SUBNET_CONFLICT));
        assertThat(host.links.find(second.bridgeName())).isEmpty();
    }

    @Test
    void concurrentAttachesGetDistinctAddressesAndTaps() throws Exception {
        HostNetwork network = open();
        List<java.util.concurrent.Future<VmNetwork>> results = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 24; i++) {
                String vmId = "par-" + (i % 12);
                NicLimits limits = i % 3 == 0 ? LIMITED : NicLimits.none();
                results.add(pool.submit(() -> network.attach(vmId, limits)));
            }
        }
        var byVm = new java.util.HashMap<String, VmNetwork>();
        for (var result : results) {
            VmNetwork vm = result.get();
            VmNetwork earlier = byVm.putIfAbsent(vm.vmId(), vm);
            assertThat(earlier == null || earlier.equals(vm)).isTrue();
        }
        assertThat(byVm).hasSize(12);
        assertThat(byVm.values().stream().map(VmNetwork::address).distinct()).hasSize(12);
        assertThat(byVm.values().stream().map(VmNetwork::tapName).distinct()).hasSize(12);
        var guard = new GuestGuard(host.commands, network.config());
        assertThat(guard.portsIn(GuestGuard.GUEST_MAC)).as("one MAC element per vm after concurrent attaches")
                .containsExactlyInAnyOrderElementsOf(byVm.values().stream().map(VmNetwork::tapName).toList());
        assertThat(guard.portsIn(GuestGuard.GUEST_IP)).hasSize(12);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
            byVm.keySet().forEach(vmId -> pool.submit(() -> network.detach(vmId)));
        }
        assertThat(host.kilnVmLinks(network.config().bridgeName())).isEmpty();
        assertThat(guard.portsIn(GuestGuard.GUEST_PORT)).as("no element left after concurrent detaches").isEmpty();
        assertThat(guard.portsIn(GuestGuard.TENANT_PORT)).isEmpty();
    }

    @Test
    void invalidVmIdsAreRejected() {
        HostNetwork network = open();
        for (String bad : List.of("", "-x", "a,bridge=evil", "a b", "x".repeat(65))) {
            assertThatThrownBy(() -> network.attach(bad, NicLimits.none()))
                    .isInstanceOfSatisfying(NetException.class,
                            e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
        }
    }
}
