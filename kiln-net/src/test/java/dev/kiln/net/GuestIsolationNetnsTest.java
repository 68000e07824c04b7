package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest isolation ({@link GuestGuard}) on the real kernel, without VMs. A network namespace stands for the host: a
 * kiln network opened in it by kiln's own code, services on the bridge address, and an "outside" namespace behind a
 * veth that the host routes and masquerades to. Each "guest" is a namespace on the bridge through a veth whose host
 * end has the name and kiln label of the tap {@link HostNetwork#attach} made for it (the tap itself is replaced:
 * a namespace cannot sit behind a tap), and whose guest end has the vm's MAC and address. Every blocked case is
 * paired with the same traffic unspoofed or allowed getting through, so the rules, not a broken setup, are what
 * blocks. Needs root, {@code ip netns}, socat and busybox; skipped (with the reason) otherwise.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GuestIsolationNetnsTest {
    private static final String BRIDGE = "kt-br";
    private static final int SERVICE_PORT = 10080;
    private static final int OTHER_HOST_PORT = 10090;
    private static final String OUTSIDE = "172.30.9.2";

    private final String suffix = TestHost.randomSuffix(4);
    private final String hostNs = "kt-iso-" + suffix + "-h";
    private final String outsideNs = "kt-iso-" + suffix + "-o";
    private final String strayNs = "kt-iso-" + suffix + "-x";
    private final Guest alpha1 = new Guest("alpha1", "kt-iso-" + suffix + "-a1",
            new GuestPolicy("alpha", GuestPolicy.Egress.ALLOW));
    private final Guest alpha2 = new Guest("alpha2", "kt-iso-" + suffix + "-a2",
            new GuestPolicy("alpha", GuestPolicy.Egress.DENY));
    private final Guest beta = new Guest("beta1", "kt-iso-" + suffix + "-b1",
            new GuestPolicy("beta", GuestPolicy.Egress.ALLOW));
    private final List<Process> servers = new CopyOnWriteArrayList<>();
    @TempDir
    static Path temp;
    private Path procSys;
    private HostNetwork network;
    private NetworkConfig config;
    private String gateway;

    private static final class Guest {
        final String vmId;
        final String ns;
        final GuestPolicy policy;
        VmNetwork vm;

        Guest(String vmId, String ns, GuestPolicy policy) {
            this.vmId = vmId;
            this.ns = ns;
            this.policy = policy;
        }

        String ip() {
            return vm.address().address();
        }
    }

    @BeforeAll
    void build() throws IOException {
        assumeTrue(uid() == 0, "needs root for network namespaces, bridges and nftables");
        assumeTrue(Files.exists(Path.of("/dev/net/tun")), "needs /dev/net/tun (kiln networks check for it)");
        assumeTrue(run(List.of("socat", "-V")).ok(), "needs socat (apt-get install socat)");
        assumeTrue(run(List.of("busybox", "ping")).stderr().contains("Usage"), "needs busybox for ping");
        var probe = run(List.of("ip", "netns", "add", hostNs));
        assumeTrue(probe.ok(), "ip netns is unavailable: " + probe.stderr().strip());
        check("ip", "netns", "add", outsideNs);
        check("ip", "-n", hostNs, "link", "set", "lo", "up");
        check("ip", "netns", "exec", hostNs, "sysctl", "-qw", "net.ipv4.ip_forward=1");
        check("ip", "-n", hostNs, "link", "add", "kt-out", "type", "veth", "peer", "name", "eth0", "netns",
                outsideNs);
        check("ip", "-n", hostNs, "addr", "add", "172.30.9.1/24", "dev", "kt-out");
        check("ip", "-n", hostNs, "link", "set", "kt-out", "up");
        check("ip", "-n", outsideNs, "addr", "add", OUTSIDE + "/24", "dev", "eth0");
        check("ip", "-n", outsideNs, "link", "set", "eth0", "up");
        check("ip", "-n", outsideNs, "link", "set", "lo", "up");

        procSys = Files.createDirectories(temp.resolve("procsys"));
        Files.createDirectories(procSys.resolve("net/ipv4"));
        Files.writeString(procSys.resolve("net/ipv4/ip_forward"), "1\n");
        config = new NetworkConfig(BRIDGE, Ipv4Cidr.parse("10.92.0.0/24"),
                Files.createDirectories(temp.resolve("state")), List.of(10070))
                .withGuestServicePorts(List.of(SERVICE_PORT));
        network = DefaultHostNetwork.open(config, environment());
        gateway = config.subnet().gateway();
        for (Guest guest : List.of(alpha1, alpha2, beta)) {
            plug(guest);
        }
        serve(hostNs, gateway, SERVICE_PORT, "registry-ok");
        serve(hostNs, "0.0.0.0", OTHER_HOST_PORT, "api-ok");
        serve(outsideNs, OUTSIDE, 7000, "outside-ok");
    }

    /** Attaches the vm through kiln, then puts a namespace behind a veth with the tap's name, label and MAC. */
    private void plug(Guest guest) {
        guest.vm = network.attach(guest.vmId, NicLimits.none(), guest.policy);
        String tap = guest.vm.tapName();
        check("ip", "netns", "add", guest.ns);
        check("ip", "-n", hostNs, "link", "del", tap);
        check("ip", "-n", hostNs, "link", "add", tap, "type", "veth", "peer", "name", "eth0", "netns", guest.ns);
        check("ip", "-n", hostNs, "link", "set", "dev", tap, "alias",
                new LinkLabel.Vm(guest.vmId, BRIDGE).alias());
        check("ip", "-n", hostNs, "link", "set", tap, "master", BRIDGE);
        check("ip", "-n", hostNs, "link", "set", tap, "up");
        check("ip", "-n", guest.ns, "link", "set", "lo", "up");
        check("ip", "-n", guest.ns, "link", "set", "eth0", "address", guest.vm.mac().value());
        check("ip", "-n", guest.ns, "addr", "add", guest.vm.address().toString(), "dev", "eth0");
        check("ip", "-n", guest.ns, "link", "set", "eth0", "up");
        check("ip", "-n", guest.ns, "route", "add", "default", "via", guest.vm.gateway());
    }

    @Test
    @Order(1)
    void theTablesHoldOneElementPerGuestInEachSet() {
        String bridgeTable = check("ip", "netns", "exec", hostNs, "nft", "list", "table", "bridge", "kiln_kt_br");
        for (Guest guest : List.of(alpha1, alpha2, beta)) {
            assertThat(bridgeTable).contains("\"" + guest.vm.tapName() + "\" . " + guest.vm.mac().value())
                    .contains("\"" + guest.vm.tapName() + "\" . " + guest.ip());
        }
        String ipTable = check("ip", "netns", "exec", hostNs, "nft", "list", "set", "ip", "kiln_kt_br",
                GuestGuard.EGRESS_DENY);
        assertThat(ipTable).contains(alpha2.ip()).doesNotContain(alpha1.ip()).doesNotContain(beta.ip());
    }

    @Test
    @Order(2)
    void guestsOfOneTenantReachEachOtherButNotAnotherTenant() {
        awaitPing(alpha1, alpha2.ip());
        assertThat(ping(alpha2, alpha1.ip())).as("alpha2 -> alpha1 (same tenant)").isZero();
        assertThat(ping(alpha1, beta.ip())).as("alpha1 -> beta (other tenant)").isNotZero();
        assertThat(ping(beta, alpha1.ip())).as("beta -> alpha1 (other tenant)").isNotZero();
        assertThat(ping(beta, gateway)).as("beta still reaches the gateway").isZero();
    }

    @Test
    @Order(10)
    void aKilnTapThatWasNeverAdmittedReachesNoGuest() {
        String stray = "ktap-x" + suffix;
        check("ip", "netns", "add", strayNs);
        check("ip", "-n", hostNs, "link", "add", stray, "type", "veth", "peer", "name", "eth0", "netns", strayNs);
        check("ip", "-n", hostNs, "link", "set", stray, "master", BRIDGE);
        check("ip", "-n", hostNs, "link", "set", stray, "up");
        check("ip", "-n", strayNs, "addr", "add", "10.92.0.100/24", "dev", "eth0");
        check("ip", "-n", strayNs, "link", "set", "eth0", "up");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
                .until(() -> run(List.of("ip", "netns", "exec", strayNs, "busybox", "ping", "-c", "1", "-W", "1",
                        gateway)).ok());
        assertThat(run(List.of("ip", "netns", "exec", strayNs, "busybox", "ping", "-c", "2", "-W", "1",
                alpha1.ip())).ok()).as("the stray port -> alpha1").isFalse();
        assertThat(ping(alpha2, alpha1.ip())).as("an admitted guest -> alpha1").isZero();
    }

    @Test
    @Order(3)
    void aSpoofedSourceIpIsDroppedWhileTheGuestsOwnPasses() throws Exception {
        String spoofed = "10.92.0.200";
        check("ip", "-n", alpha1.ns, "addr", "add", spoofed + "/32", "dev", "eth0");
        check("ip", "-n", alpha1.ns, "neigh", "replace", alpha2.ip(), "lladdr", alpha2.vm.mac().value(), "dev",
                "eth0", "nud", "permanent");
        List<String> received = listenUdp(alpha2, 7001);
        sendUdp(alpha1, alpha2.ip(), 7001, spoofed, "from-spoofed-ip");
        sendUdp(alpha1, alpha2.ip(), 7001, alpha1.ip(), "from-own-ip");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("from-own-ip"));
        Thread.sleep(500);
        assertThat(received).doesNotContain("from-spoofed-ip");

        // a snapshot clone sends as its template until it takes its own identity: lent, the address passes
        network.lendIdentity(alpha1.vmId, alpha1.vm.mac(), spoofed);
        sendUdp(alpha1, alpha2.ip(), 7001, spoofed, "from-lent-ip");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("from-lent-ip"));
        network.returnIdentity(alpha1.vmId);
        sendUdp(alpha1, alpha2.ip(), 7001, spoofed, "from-returned-ip");
        sendUdp(alpha1, alpha2.ip(), 7001, alpha1.ip(), "own-again");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("own-again"));
        Thread.sleep(500);
        assertThat(received).doesNotContain("from-returned-ip");
        check("ip", "-n", alpha1.ns, "addr", "del", spoofed + "/32", "dev", "eth0");
    }

    /**
     * A pod inside a node vm sends through an ipvlan (L2) interface on the guest's eth0: the vm's MAC, the pod's own
     * address. Here the pod's address sits on the guest's eth0, which puts the same frames on the tap.
     */
    @Test
    @Order(4)
    void aPodAddressPassesOnceAddedKeepsPassingAfterAReopenAndNotOnceReleased() throws Exception {
        String pod = network.addAddress(alpha1.vmId, "pod:web-7d9f-abcde");
        assertThat(pod).isNotIn(alpha1.ip(), alpha2.ip(), beta.ip(), gateway);
        assertThat(config.subnet().contains(pod)).isTrue();
        assertThat(network.addAddress(alpha1.vmId, "pod:web-7d9f-abcde")).as("idempotent per owner").isEqualTo(pod);
        assertThat(network.addresses(alpha1.vmId)).containsExactly(java.util.Map.entry("pod:web-7d9f-abcde", pod));
        check("ip", "-n", alpha1.ns, "addr", "add", pod + "/32", "dev", "eth0");
        check("ip", "-n", alpha1.ns, "neigh", "replace", alpha2.ip(), "lladdr", alpha2.vm.mac().value(), "dev",
                "eth0", "nud", "permanent");
        List<String> received = listenUdp(alpha2, 7003);
        sendUdp(alpha1, alpha2.ip(), 7003, pod, "from-pod");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("from-pod"));
        assertThat(run(List.of("ip", "netns", "exec", alpha1.ns, "busybox", "ping", "-c", "1", "-W", "2", "-I", pod,
                alpha2.ip())).ok()).as("a ping from the pod's address: alpha2 resolves it by ARP, and the pod's"
                + " ARP reply carries the pod's address as sender").isTrue();

        network.close();
        network = DefaultHostNetwork.open(config, environment());
        assertThat(check("ip", "netns", "exec", hostNs, "nft", "list", "set", "bridge", "kiln_kt_br",
                GuestGuard.GUEST_IP)).as("rendered at open from the lease")
                .contains("\"" + alpha1.vm.tapName() + "\" . " + pod);
        sendUdp(alpha1, alpha2.ip(), 7003, pod, "from-pod-after-reopen");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("from-pod-after-reopen"));

        // an extra address shares its vm's egress policy: alpha2's is denied
        String denied = network.addAddress(alpha2.vmId, "pod:db-0");
        assertThat(denied).isNotEqualTo(pod);
        assertThat(check("ip", "netns", "exec", hostNs, "nft", "list", "set", "ip", "kiln_kt_br",
                GuestGuard.EGRESS_DENY)).contains(denied).contains(alpha2.ip());
        network.releaseAddress(alpha2.vmId, "pod:db-0");
        assertThat(check("ip", "netns", "exec", hostNs, "nft", "list", "set", "ip", "kiln_kt_br",
                GuestGuard.EGRESS_DENY)).doesNotContain(denied).contains(alpha2.ip());

        network.releaseAddress(alpha1.vmId, "pod:web-7d9f-abcde");
        network.releaseAddress(alpha1.vmId, "pod:web-7d9f-abcde");
        assertThat(network.addresses(alpha1.vmId)).isEmpty();
        assertThat(check("ip", "netns", "exec", hostNs, "nft", "list", "set", "bridge", "kiln_kt_br",
                GuestGuard.GUEST_IP)).doesNotContain(pod).contains(alpha1.ip());
        sendUdp(alpha1, alpha2.ip(), 7003, pod, "from-released-pod");
        sendUdp(alpha1, alpha2.ip(), 7003, alpha1.ip(), "own-after-release");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("own-after-release"));
        Thread.sleep(500);
        assertThat(received).doesNotContain("from-released-pod");
        check("ip", "-n", alpha1.ns, "addr", "del", pod + "/32", "dev", "eth0");
    }

    @Test
    @Order(5)
    void aSpoofedSourceMacIsDroppedWhileTheGuestsOwnPasses() throws Exception {
        check("ip", "-n", alpha1.ns, "neigh", "replace", alpha2.ip(), "lladdr", alpha2.vm.mac().value(), "dev",
                "eth0", "nud", "permanent");
        List<String> received = listenUdp(alpha2, 7002);
        check("ip", "-n", alpha1.ns, "link", "set", "eth0", "address", "02:00:00:de:ad:01");
        sendUdp(alpha1, alpha2.ip(), 7002, alpha1.ip(), "from-spoofed-mac");
        check("ip", "-n", alpha1.ns, "link", "set", "eth0", "address", alpha1.vm.mac().value());
        sendUdp(alpha1, alpha2.ip(), 7002, alpha1.ip(), "from-own-mac");
        await().atMost(Duration.ofSeconds(10)).until(() -> received.contains("from-own-mac"));
        Thread.sleep(500);
        assertThat(received).doesNotContain("from-spoofed-mac");
    }

    @Test
    @Order(6)
    void guestsReachTheServicePortButNoOtherPortOfTheHost() {
        assertThat(connect(hostNs, gateway, OTHER_HOST_PORT)).as("the host itself reaches its API port")
                .contains("api-ok");
        assertThat(connect(outsideNs, "172.30.9.1", OTHER_HOST_PORT)).as("the outside reaches it on the host's"
                + " other address (so a guest's failure below is the guard's doing)").contains("api-ok");
        for (Guest guest : List.of(alpha1, beta)) {
            assertThat(connect(guest.ns, gateway, SERVICE_PORT)).as(guest.vmId + " -> service port")
                    .contains("registry-ok");
            assertThat(connect(guest.ns, gateway, OTHER_HOST_PORT)).as(guest.vmId + " -> another host port")
                    .doesNotContain("api-ok");
            assertThat(connect(guest.ns, "172.30.9.1", OTHER_HOST_PORT))
                    .as(guest.vmId + " -> the host's other address").doesNotContain("api-ok");
        }
    }

    @Test
    @Order(7)
    void egressDenyKeepsAGuestOffTheOutsideAndAllowLetsItOut() {
        assertThat(connect(alpha1.ns, OUTSIDE, 7000)).as("alpha1, egress allowed").contains("outside-ok");
        assertThat(connect(alpha2.ns, OUTSIDE, 7000)).as("alpha2, egress denied").doesNotContain("outside-ok");
        assertThat(connect(alpha2.ns, gateway, SERVICE_PORT)).as("alpha2 still reaches the service port")
                .contains("registry-ok");

        network.attach(alpha2.vmId, NicLimits.none(), new GuestPolicy("alpha", GuestPolicy.Egress.ALLOW));
        assertThat(network.policy(alpha2.vmId)).contains(new GuestPolicy("alpha", GuestPolicy.Egress.ALLOW));
        assertThat(connect(alpha2.ns, OUTSIDE, 7000)).as("alpha2 after its policy became allow")
                .contains("outside-ok");
    }

    @Test
    @Order(8)
    void reopeningTheNetworkKeepsEveryGuestsElements() {
        network.close();
        network = DefaultHostNetwork.open(config, environment());
        assertThat(check("ip", "netns", "exec", hostNs, "nft", "list", "set", "bridge", "kiln_kt_br",
                GuestGuard.GUEST_IP)).contains(alpha1.ip()).contains(alpha2.ip()).contains(beta.ip());
        assertThat(ping(alpha1, alpha2.ip())).as("alpha1 -> alpha2 after the reopen").isZero();
        assertThat(ping(alpha1, beta.ip())).as("alpha1 -> beta after the reopen").isNotZero();
        assertThat(connect(alpha1.ns, gateway, SERVICE_PORT)).contains("registry-ok");
    }

    @Test
    @Order(9)
    void detachRemovesTheGuestsElementsAndItCanSendNothing() {
        String tap = beta.vm.tapName();
        String pod = network.addAddress(beta.vmId, "pod:beta-0");
        network.detach(beta.vmId);
        String bridgeTable = check("ip", "netns", "exec", hostNs, "nft", "list", "table", "bridge", "kiln_kt_br");
        assertThat(bridgeTable).doesNotContain(tap).doesNotContain(pod).contains(alpha1.vm.tapName());
        assertThat(network.addresses(beta.vmId)).as("a lease's extra addresses go with it").isEmpty();
        assertThat(run(List.of("ip", "-n", hostNs, "link", "show", tap)).ok()).as("the labelled port is gone")
                .isFalse();
    }

    @AfterAll
    void tearDown() throws IOException {
        servers.forEach(Process::destroyForcibly);
        var failures = new ArrayList<String>();
        if (network != null) {
            try {
                network.teardown();
                for (String family : List.of("ip", "bridge")) {
                    if (run(List.of("ip", "netns", "exec", hostNs, "nft", "list", "table", family, "kiln_kt_br"))
                            .ok()) {
                        failures.add("table " + family + " kiln_kt_br is left after teardown");
                    }
                }
            } catch (RuntimeException e) {
                failures.add("teardown: " + e.getMessage());
            }
        }
        for (String ns : List.of(alpha1.ns, alpha2.ns, beta.ns, strayNs, outsideNs, hostNs)) {
            run(List.of("ip", "netns", "del", ns));
        }
        if (run(List.of("ip", "netns", "list")).stdout().contains("kt-iso-" + suffix)) {
            failures.add("namespaces left");
        }
        assertThat(failures).isEmpty();
    }

    private HostEnvironment environment() {
        return new HostEnvironment(new NetnsRunner(hostNs), Path.of("/dev/net/tun"), procSys);
    }

    private void serve(String ns, String address, int port, String answer) throws IOException {
        Process server = start(ns, "socat", "TCP-LISTEN:" + port + ",bind=" + address + ",reuseaddr,fork",
                "SYSTEM:echo " + answer);
        servers.add(server);
        String probe = address.equals("0.0.0.0") ? "127.0.0.1" : address;
        await().atMost(Duration.ofSeconds(10)).until(() -> connect(ns, probe, port).contains(answer));
    }

    /** Starts a UDP receiver in the guest; returns the lines it gets (one datagram per sender line). */
    private List<String> listenUdp(Guest guest, int port) throws IOException {
        Process server = start(guest.ns, "socat", "-u", "UDP-RECVFROM:" + port + ",bind=" + guest.ip()
                + ",reuseaddr,fork", "STDOUT");
        servers.add(server);
        var lines = new CopyOnWriteArrayList<String>();
        Thread.ofVirtual().start(() -> {
            try (var reader = server.inputReader()) {
                reader.lines().forEach(lines::add);
            } catch (IOException | java.io.UncheckedIOException e) {
                lines.add("read failed: " + e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> run(List.of("ip", "netns", "exec", guest.ns, "ss",
                "-uln")).stdout().contains(":" + port));
        return lines;
    }

    private static void sendUdp(Guest from, String to, int port, String source, String text) {
        var result = new ProcessCommandRunner(HostEnvironment.COMMAND_TIMEOUT).run(List.of("ip", "netns", "exec",
                from.ns, "socat", "-u", "STDIN", "UDP-SENDTO:" + to + ":" + port + ",bind=" + source), text + "\n");
        assertThat(result.ok()).as("send %s: %s", text, result.stderr()).isTrue();
    }

    private void awaitPing(Guest from, String to) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> ping(from, to) == 0);
    }

    private static int ping(Guest from, String to) {
        return run(List.of("ip", "netns", "exec", from.ns, "busybox", "ping", "-c", "1", "-W", "1", to)).exitCode();
    }

    /** What a TCP connection returns within 2 s (empty when it cannot connect). */
    private static String connect(String fromNs, String to, int port) {
        return run(List.of("ip", "netns", "exec", fromNs, "socat", "-u", "TCP:" + to + ":" + port
                + ",connect-timeout=2", "STDOUT")).stdout();
    }

    private static Process start(String ns, String... command) throws IOException {
        var argv = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        argv.addAll(List.of(command));
        return new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
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
