package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts of a cluster network on the real kernel, each a network namespace: an underlay veth between them (MTU
 * 1550), in each a kiln network opened with a cluster CIDR (bridge {@code kt-br} with {@code 10.91.<i>.1/16}), a
 * {@link VxlanOverlay} made by the Java class, and one "guest" namespace on the bridge through a veth (MTU 1500).
 * Proves that guests of different hosts reach each other with their own addresses and full 1500-byte frames, that
 * host-only ports stay closed to the other host, that removing a peer stops the traffic, and that teardown leaves
 * nothing. Needs root, {@code ip netns}, the vxlan module, socat and busybox; skipped (with the reason) otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class VxlanOverlayNetnsTest {
    private static final String BRIDGE = "kt-br";
    private static final Ipv4Cidr CLUSTER = Ipv4Cidr.parse("10.91.0.0/16");
    private static final int HOST_ONLY_PORT = 10070;
    private static final int PAYLOAD_BYTES = 4 * 1024 * 1024;

    private final String suffix = TestHost.randomSuffix(4);
    private final Host one = new Host(1, "kt-ovl-" + suffix + "-h1", "kt-ovl-" + suffix + "-g1");
    private final Host two = new Host(2, "kt-ovl-" + suffix + "-h2", "kt-ovl-" + suffix + "-g2");
    private final ObjectMapper json = new ObjectMapper();
    /** Leased guests with tenants (the "guest" namespaces above are plain veths, outside the guard). */
    private final List<String> tenantNamespaces = new ArrayList<>();
    @TempDir
    static Path temp;
    private Path procSys;

    /** One host: its namespace, its guest's namespace, and what kiln-net made in it. */
    private static final class Host {
        final int index;
        final String ns;
        final String guestNs;
        final String underlay;
        final String guest;
        HostNetwork network;
        VxlanOverlay overlay;

        Host(int index, String ns, String guestNs) {
            this.index = index;
            this.ns = ns;
            this.guestNs = guestNs;
            this.underlay = "172.29.0." + index;
            this.guest = "10.91." + index + ".10";
        }

        NetworkConfig config(Path stateDir) {
            return new NetworkConfig(BRIDGE, Ipv4Cidr.parse("10.91." + index + ".0/24"), stateDir,
                    List.of(HOST_ONLY_PORT)).withClusterCidr(CLUSTER);
        }
    }

    @BeforeAll
    void buildTwoHosts() throws IOException {
        assumeTrue(uid() == 0, "needs root to create network namespaces, bridges and vxlan devices (uid is "
                + uid() + ")");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (kiln networks check for it)");
        assumeTrue(hasSocat(), "needs socat for the TCP transfer (apt-get install socat; run-tests installs it)");
        assumeTrue(run(List.of("busybox", "ping")).stderr().contains("Usage"), "needs busybox for ping");
        var probe = run(List.of("ip", "netns", "add", one.ns));
        assumeTrue(probe.ok(), "ip netns is unavailable: " + probe.stderr().strip());

        procSys = Files.createDirectories(temp.resolve("procsys"));
        Files.createDirectories(procSys.resolve("net/ipv4"));
        Files.writeString(procSys.resolve("net/ipv4/ip_forward"), "1\n");
        for (String ns : List.of(two.ns, one.guestNs, two.guestNs)) {
            check("ip", "netns", "add", ns);
        }
        check("ip", "-n", one.ns, "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", two.ns);
        for (Host host : List.of(one, two)) {
            check("ip", "-n", host.ns, "link", "set", "lo", "up");
            check("ip", "-n", host.ns, "addr", "add", host.underlay + "/24", "dev", "ul0");
            check("ip", "-n", host.ns, "link", "set", "ul0", "mtu", "1550", "up");
        }
        var vxlan = run(List.of("ip", "-n", one.ns, "link", "add", "ktprobe", "type", "vxlan", "id", "1", "local",
                one.underlay, "dstport", "4789"));
        assumeTrue(vxlan.ok(), "the kernel cannot create vxlan devices: " + vxlan.stderr().strip());
        check("ip", "-n", one.ns, "link", "del", "ktprobe");

        for (Host host : List.of(one, two)) {
            host.network = DefaultHostNetwork.open(host.config(Files.createDirectories(temp.resolve("state-" + host.ns))),
                    environment(host));
            check("ip", "-n", host.ns, "link", "add", "kt-g", "type", "veth", "peer", "name", "eth0", "netns",
                    host.guestNs);
            check("ip", "-n", host.ns, "link", "set", "kt-g", "master", BRIDGE);
            check("ip", "-n", host.ns, "link", "set", "kt-g", "up");
            check("ip", "-n", host.guestNs, "link", "set", "lo", "up");
            check("ip", "-n", host.guestNs, "addr", "add", host.guest + "/16", "dev", "eth0");
            check("ip", "-n", host.guestNs, "link", "set", "eth0", "up");
            host.overlay = VxlanOverlay.open(new OverlayConfig(BRIDGE, host.underlay), environment(host));
        }
        one.overlay.setPeers(Set.of(one.underlay, two.underlay));
        two.overlay.setPeers(Set.of(one.underlay));
    }

    @Test
    @Order(1)
    void eachHostHasAClusterBridgeAndALabelledOverlayPort() {
        for (Host host : List.of(one, two)) {
            assertThat(addresses(host.ns, BRIDGE)).containsExactly("10.91." + host.index + ".1/16");
            JsonNode device = link(host.ns, "kvx4242");
            assertThat(device.path("ifalias").asText()).isEqualTo("kiln:overlay,bridge=" + BRIDGE);
            assertThat(device.path("master").asText()).isEqualTo(BRIDGE);
            assertThat(device.path("flags").toString()).contains("\"UP\"");
            JsonNode data = device.path("linkinfo").path("info_data");
            assertThat(data.path("id").asInt()).isEqualTo(4242);
            assertThat(data.path("local").asText()).isEqualTo(host.underlay);
            assertThat(data.path("port").asInt()).isEqualTo(4789);
            assertThat(data.path("learning").asBoolean()).isTrue();
            assertThat(data.path("gbp").asBoolean()).as("VXLAN group policy carries the tenant tag").isTrue();
            assertThat(host.overlay.mtu()).isEqualTo(1500);
            assertThat(link(host.ns, BRIDGE).path("mtu").asInt()).isEqualTo(1500);
        }
        assertThat(one.overlay.peers()).containsExactly(two.underlay);
        assertThat(two.overlay.peers()).containsExactly(one.underlay);

        int ifindex = link(one.ns, "kvx4242").path("ifindex").asInt();
        VxlanOverlay again = VxlanOverlay.open(new OverlayConfig(BRIDGE, one.underlay), environment(one));
        assertThat(link(one.ns, "kvx4242").path("ifindex").asInt()).as("reopen keeps the device").isEqualTo(ifindex);
        assertThat(again.peers()).containsExactly(two.underlay);

        String nat = check("ip", "netns", "exec", one.ns, "nft", "list", "table", "ip", "kiln_kt_br");
        assertThat(nat).contains("ip saddr 10.91.1.0/24 ip daddr != 10.91.0.0/16 oifname != \"kt-br\" masquerade");
        String isolation = check("ip", "netns", "exec", one.ns, "nft", "list", "table", "bridge", "kiln_kt_br");
        assertThat(isolation).contains("iifname \"kvx*\"");

        VmNetwork vm = one.network.attach("vm-a", NicLimits.none());
        assertThat(vm.address()).isEqualTo(Ipv4Cidr.parse("10.91.1.2/16"));
        assertThat(vm.gateway()).isEqualTo("10.91.1.1");
        one.network.detach("vm-a");
    }

    @Test
    @Order(2)
    void guestsOnDifferentHostsReachEachOtherWithFullFramesAndTheirOwnAddresses() throws Exception {
        awaitPing(one.guestNs, two.guest);
        assertThat(ping(one.guestNs, two.guest, 3, 1472)).as("1500-byte pings from guest 1 to guest 2").isZero();
        assertThat(ping(two.guestNs, one.guest, 3, 1472)).as("1500-byte pings from guest 2 to guest 1").isZero();
        long fragmentsBefore = fragmentsCreated(one.ns);

        byte[] payload = new byte[PAYLOAD_BYTES];
        new Random(42).nextBytes(payload);
        Process server = start(two.guestNs, "socat", "-d", "-d", "-u",
                "TCP-LISTEN:5001,bind=" + two.guest + ",reuseaddr", "STDOUT");
        try {
            var log = new CopyOnWriteArrayList<String>();
            drainLines(server.getErrorStream(), log);
            CompletableFuture<Received> received = digestOf(server.getInputStream());
            await().atMost(Duration.ofSeconds(10)).until(() -> log.stream().anyMatch(l -> l.contains("listening")));

            Process client = start(one.guestNs, "socat", "-u", "STDIN",
                    "TCP:" + two.guest + ":5001,connect-timeout=5");
            try (OutputStream in = client.getOutputStream()) {
                in.write(payload);
            }
            assertThat(client.waitFor(60, TimeUnit.SECONDS)).as("client finished").isTrue();
            assertThat(client.exitValue()).as("client exit: " + new String(client.getErrorStream().readAllBytes(),
                    StandardCharsets.UTF_8)).isZero();
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).as("server finished").isTrue();
            assertThat(server.exitValue()).isZero();

            var expected = new Received(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(payload)), PAYLOAD_BYTES);
            assertThat(received.get(10, TimeUnit.SECONDS)).as("all %d bytes arrived intact", PAYLOAD_BYTES)
                    .isEqualTo(expected);
            assertThat(log).as("the server saw guest 1's own address (no NAT inside the cluster)")
                    .anyMatch(line -> line.contains("accepting connection from AF=2 " + one.guest + ":"));
        } finally {
            server.destroyForcibly();
        }
        assertThat(fragmentsCreated(one.ns)).as("no encapsulated packet was fragmented on the underlay")
                .isEqualTo(fragmentsBefore);
    }

    @Test
    @Order(3)
    void hostOnlyPortsAnswerTheirOwnHostButNoGuestOrHostElsewhere() throws Exception {
        Process server = start(two.guestNs, "socat", "TCP-LISTEN:" + HOST_ONLY_PORT + ",bind=" + two.guest
                + ",reuseaddr,fork", "SYSTEM:echo kiln-ok");
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> connect(two.ns, two.guest).contains("kiln-ok"));
            assertThat(connect(one.guestNs, two.guest)).as("guest of host 1").doesNotContain("kiln-ok");
            assertThat(connect(one.ns, two.guest)).as("host 1").doesNotContain("kiln-ok");
            assertThat(connect(two.ns, two.guest)).as("host 2, the guest's own host").contains("kiln-ok");
        } finally {
            server.destroyForcibly();
        }
    }

    @Test
    @Order(4)
    void removingThePeerStopsTrafficAndAddingItBackRestoresIt() throws Exception {
        awaitPing(one.guestNs, two.guest);
        one.overlay.setPeers(Set.of());
        assertThat(one.overlay.peers()).isEmpty();
        assertThat(check("bridge", "-n", one.ns, "fdb", "show", "dev", "kvx4242")).doesNotContain(two.underlay);
        assertThat(ping(one.guestNs, two.guest, 2, 56)).as("ping after the peer was removed").isNotZero();

        one.overlay.setPeers(Set.of(two.underlay));
        awaitPing(one.guestNs, two.guest);
    }

    @Test
    @Order(5)
    void tenantsStaySeparateAcrossHostsWhileHostsReachEveryGuest() {
        String alpha1 = plugTenantGuest(one, "alpha-1", "alpha");
        String alpha2 = plugTenantGuest(two, "alpha-2", "alpha");
        String beta2 = plugTenantGuest(two, "beta-2", "beta");
        String alpha1Ns = tenantNamespaces.get(0);
        String beta2Ns = tenantNamespaces.get(2);
        awaitPing(alpha1Ns, alpha2);
        assertThat(ping(tenantNamespaces.get(1), alpha1, 2, 56)).as("alpha on host 2 -> alpha on host 1").isZero();
        assertThat(ping(alpha1Ns, beta2, 2, 56)).as("alpha on host 1 -> beta on host 2").isNotZero();
        assertThat(ping(beta2Ns, alpha1, 2, 56)).as("beta on host 2 -> alpha on host 1").isNotZero();
        assertThat(ping(one.ns, beta2, 2, 56)).as("host 1 itself -> beta on host 2 (a host's frames carry no tenant)")
                .isZero();
        String tags = check("ip", "netns", "exec", two.ns, "nft", "list", "set", "bridge", "kiln_kt_br",
                GuestGuard.TENANT_TAG_PORT);
        assertThat(tags).as("host 2's tags of its guests' tenants")
                .contains(String.format("0x%08x", GuestGuard.tenantTag("alpha")))
                .contains(String.format("0x%08x", GuestGuard.tenantTag("beta")));
    }

    /** A leased guest of {@code tenant} on the host: its tap replaced by a veth into a namespace of its own. */
    private String plugTenantGuest(Host host, String vmId, String tenant) {
        VmNetwork vm = host.network.attach(vmId, NicLimits.none(), new GuestPolicy(tenant, GuestPolicy.Egress.ALLOW));
        String ns = "kt-ovl-" + suffix + "-" + vmId;
        tenantNamespaces.add(ns);
        String tap = vm.tapName();
        check("ip", "netns", "add", ns);
        check("ip", "-n", host.ns, "link", "del", tap);
        check("ip", "-n", host.ns, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", ns);
        check("ip", "-n", host.ns, "link", "set", "dev", tap, "alias", new LinkLabel.Vm(vmId, BRIDGE).alias());
        check("ip", "-n", host.ns, "link", "set", tap, "master", BRIDGE);
        check("ip", "-n", host.ns, "link", "set", tap, "up");
        check("ip", "-n", ns, "link", "set", "lo", "up");
        check("ip", "-n", ns, "link", "set", "eth0", "address", vm.mac().value());
        check("ip", "-n", ns, "addr", "add", vm.address().toString(), "dev", "eth0");
        check("ip", "-n", ns, "link", "set", "eth0", "up");
        return vm.address().address();
    }

    @AfterAll
    void tearDown() throws IOException {
        var failures = new ArrayList<String>();
        for (Host host : List.of(one, two)) {
            if (host.network != null) {
                try {
                    host.network.teardown();
                    List<String> labelled = new ArrayList<>();
                    links(host.ns).forEach(link -> {
                        if (link.path("ifalias").asText().startsWith("kiln:")
                                || link.path("ifname").asText().startsWith("kvx")) {
                            labelled.add(link.path("ifname").asText());
                        }
                    });
                    if (!labelled.isEmpty()) {
                        failures.add(host.ns + " keeps kiln links after HostNetwork.teardown: " + labelled);
                    }
                } catch (RuntimeException e) {
                    failures.add(host.ns + ": " + e.getMessage());
                }
            }
        }
        var namespaces = new ArrayList<>(tenantNamespaces);
        namespaces.addAll(List.of(one.guestNs, two.guestNs, one.ns, two.ns));
        for (String ns : namespaces) {
            run(List.of("ip", "netns", "del", ns));
        }
        String left = run(List.of("ip", "netns", "list")).stdout();
        if (left.contains("kt-ovl-" + suffix)) {
            failures.add("namespaces left: " + left);
        }
        assertThat(failures).isEmpty();
    }

    private HostEnvironment environment(Host host) {
        return new HostEnvironment(new NetnsRunner(host.ns), Path.of("/dev/net/tun"), procSys);
    }

    private void awaitPing(String fromNs, String to) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> ping(fromNs, to, 1, 56) == 0);
    }

    private static int ping(String fromNs, String to, int count, int size) {
        return run(List.of("ip", "netns", "exec", fromNs, "busybox", "ping", "-c", String.valueOf(count), "-W", "1",
                "-s", String.valueOf(size), to)).exitCode();
    }

    /** What a TCP connection to the host-only port returns within 2 s (empty when it cannot connect). */
    private static String connect(String fromNs, String to) {
        return run(List.of("ip", "netns", "exec", fromNs, "socat", "-u",
                "TCP:" + to + ":" + HOST_ONLY_PORT + ",connect-timeout=2", "STDOUT")).stdout();
    }

    private static long fragmentsCreated(String ns) {
        List<String> ip = check("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").lines()
                .filter(line -> line.startsWith("Ip: ")).toList();
        List<String> names = List.of(ip.get(0).split(" "));
        return Long.parseLong(ip.get(1).split(" ")[names.indexOf("FragCreates")]);
    }

    private List<String> addresses(String ns, String dev) {
        var result = new ArrayList<String>();
        for (JsonNode link : parse(check("ip", "-n", ns, "-j", "-4", "addr", "show", "dev", dev))) {
            link.path("addr_info").forEach(a -> result.add(a.path("local").asText() + "/" + a.path("prefixlen")
                    .asInt()));
        }
        return result;
    }

    private JsonNode link(String ns, String dev) {
        return parse(check("ip", "-n", ns, "-j", "-d", "link", "show", "dev", dev)).get(0);
    }

    private JsonNode links(String ns) {
        return parse(check("ip", "-n", ns, "-j", "-d", "link", "show"));
    }

    private JsonNode parse(String text) {
        try {
            return json.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Process start(String ns, String... command) throws IOException {
        var argv = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        argv.addAll(List.of(command));
        return new ProcessBuilder(argv).start();
    }

    private static void drainLines(InputStream stream, List<String> into) {
        Thread.ofVirtual().start(() -> {
            try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(stream,
                    StandardCharsets.UTF_8))) {
                reader.lines().forEach(into::add);
            } catch (IOException | UncheckedIOException e) {
                into.add("read failed: " + e);
            }
        });
    }

    /** What a stream delivered: its SHA-256 (hex) and its length. */
    private record Received(String sha256, long bytes) {
    }

    private static CompletableFuture<Received> digestOf(InputStream stream) {
        var future = new CompletableFuture<Received>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                byte[] buffer = new byte[65536];
                long total = 0;
                for (int n; (n = stream.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                    total += n;
                }
                future.complete(new Received(HexFormat.of().formatHex(sha.digest()), total));
            } catch (IOException | NoSuchAlgorithmException e) {
                future.completeExceptionally(e);
            }
        });
        return future;
    }

    private static boolean hasSocat() {
        try {
            return run(List.of("socat", "-V")).exitCode() == 0;
        } catch (NetException e) {
            return false;
        }
    }

    private static CommandRunner.CommandResult run(List<String> argv) {
        return new ProcessCommandRunner(HostEnvironment.COMMAND_TIMEOUT).run(argv, "");
    }

    private static String check(String... argv) {
        return Commands.checked(run(List.of(argv))).stdout();
    }

    private static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            return -1;
        }
    }
}
