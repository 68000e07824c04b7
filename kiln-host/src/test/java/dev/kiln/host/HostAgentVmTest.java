package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host agent against real QEMU (TCG here), real taps on a real bridge. One agent and a few booted VMs are
 * shared by the tests that are not about booting.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostAgentVmTest {
    private HostConfig config;
    private HostAgent agent;
    private VmView a;
    private VmView b;
    @TempDir
    Path tmp;

    @BeforeAll
    void start() {
        config = TestHosts.config(false);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() {
        if (agent != null) agent.cleanupAndClose();
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
        TestHosts.deleteTree(config.stateDir());
    }

    private VmService vms() {
        return agent.vms();
    }

    private static Path ext4Image(Path dir, String name, String marker) throws Exception {
        Path content = Files.createDirectories(dir.resolve(name + "-content"));
        Files.writeString(content.resolve("marker"), marker);
        Path img = dir.resolve(name + ".img");
        Process p = new ProcessBuilder("mke2fs", "-q", "-t", "ext4", "-d", content.toString(), img.toString(), "16M")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor()).as(new String(p.getInputStream().readAllBytes())).isZero();
        return img;
    }

    @Test
    @Order(1)
    void bootsToReadyAndTheHostReachesTheGuestTcpPort() throws Exception {
        Path ro = ext4Image(tmp, "ro", "read-only-data");
        Path rw = ext4Image(tmp, "rw", "writable-data");
        a = vms().create(VmCreateRequest.empty().named("a").withDisks(List.of(
                new DiskRequest(ro.toString(), true), new DiskRequest(rw.toString(), false))), true);
        assertThat(a.phase()).isEqualTo("running");
        assertThat(a.ready()).isTrue();
        assertThat(a.accelerator()).isIn("tcg", "kvm");
        assertThat(a.bootMillis()).isPresent();
        assertThat(GuestClient.reachable(a.ip(), Duration.ofSeconds(2))).isTrue();
        var health = new GuestClient(Json.mapper()).health(a.ip());
        assertThat(health.path("id").asText()).isEqualTo(a.id());
        assertThat(Files.readString(Path.of(a.files().console()))).contains("KILN_GUEST_READY id=" + a.id());
    }

    @Test
    @Order(2)
    void theGuestSeesItsReadOnlyAndWritableDrives() {
        var ro = vms().exec("a", "cat /mnt/vdb/marker; touch /mnt/vdb/new", Duration.ofSeconds(30));
        assertThat(ro.output()).contains("read-only-data").containsIgnoringCase("read-only file system");
        assertThat(ro.exitCode()).isNotZero();
        var rw = vms().exec("a", "cat /mnt/vdc/marker && echo written > /mnt/vdc/new && cat /mnt/vdc/new", Duration.ofSeconds(30));
        assertThat(rw.exitCode()).isZero();
        assertThat(rw.output()).contains("writable-data").contains("written");
    }

    @Test
    @Order(3)
    void twoVmsReachEachOtherAndTheHost() {
        b = vms().create(VmCreateRequest.empty().named("b"), true);
        // TCP between guests: a web server in b, fetched from a (the guests' control ports are kept from each
        // other, see ContainerVmTest; busybox wget's -T crashes, so timeout(1) bounds it)
        vms().exec("b", "mkdir -p /tmp/site && echo site-of-" + b.id() + " > /tmp/site/index.html && httpd -p 8000 -h /tmp/site",
                Duration.ofSeconds(30));
        var ab = vms().exec("a", "timeout 10 wget -q -O - http://" + b.ip() + ":8000/", Duration.ofSeconds(30));
        assertThat(ab.exitCode()).as(ab.output()).isZero();
        assertThat(ab.output()).contains("site-of-" + b.id());
        var ba = vms().exec("b", "ping -c 1 -W 5 " + a.ip() + " && ping -c 1 -W 5 " + b.gateway(), Duration.ofSeconds(30));
        assertThat(ba.exitCode()).as(ba.output()).isZero();
    }

    @Test
    @Order(4)
    void pauseStopsTheGuestClockAndResumeContinuesIt() throws Exception {
        GuestClient guest = new GuestClient(Json.mapper());
        double before = guest.health(b.ip()).path("uptime").asDouble();
        long t0 = System.nanoTime();
        assertThat(vms().pause("b").phase()).isEqualTo("paused");
        assertThat(GuestClient.reachable(b.ip(), Duration.ofMillis(300))).isFalse();
        Thread.sleep(4000);
        assertThat(vms().resume("b").phase()).isEqualTo("running");
        double after = guest.health(b.ip()).path("uptime").asDouble();
        double wall = (System.nanoTime() - t0) / 1e9;
        assertThat(after).isGreaterThan(before);
        // the guest lost (about) the 4 s it was paused
        assertThat(after - before).isLessThan(wall - 3.0);
    }

    @Test
    @Order(6)
    void aDaemonRestartKeepsTheVmsAndTheyStayControllable() {
        long pidBefore = vms().get("a").pid().orElseThrow();
        agent.close();
        agent = HostAgent.start(config);
        VmView again = vms().get("a");
        assertThat(again.phase()).isEqualTo("running");
        assertThat(again.pid()).contains(pidBefore);
        assertThat(vms().exec("a", "echo still-here", Duration.ofSeconds(30)).output()).contains("still-here");
        assertThat(vms().pause("a").phase()).isEqualTo("paused");
        assertThat(vms().resume("a").phase()).isEqualTo("running");
    }

    @Test
    @Order(5)
    void killMinus9OfTheVmmIsNoticedWithinOneSecond() throws Exception {
        long pid = vms().get("b").pid().orElseThrow();
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).start();
        assertThat(kill.waitFor()).isZero();
        long t0 = System.nanoTime();
        await().atMost(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(20))
                .until(() -> vms().get("b").phase().equals("failed"));
        long noticedMs = (System.nanoTime() - t0) / 1_000_000;
        VmView dead = vms().get("b");
        assertThat(dead.cause()).hasValueSatisfying(c -> assertThat(c).contains("signal 9").contains("unexpectedly"));
        assertThat(noticedMs).isLessThan(1000);
        vms().remove("b", false);
        assertThat(TestHosts.kilnLinks(config.bridge())).doesNotContain(dead.tap());
    }

    @Test
    @Order(7)
    void stopShutsTheGuestDownGracefully() {
        VmView stopped = vms().stop("a", Duration.ofSeconds(30));
        assertThat(stopped.phase()).isEqualTo("stopped");
        assertThat(stopped.cause()).hasValueSatisfying(c -> assertThat(c).contains("guest shut down"));
        assertThatThrownBy(() -> vms().pause("a")).isInstanceOf(HostException.class)
                .satisfies(e -> assertThat(((HostException) e).code()).isEqualTo(HostError.INVALID_PHASE));
        vms().remove("a", false);
    }

    @Test
    @Order(8)
    void aRateLimitedNicMeasuresWithinTwentyPercentOfItsRate() throws Exception {
        long rate = 1 << 20; // 1 MiB/s, refilled in quarter seconds
        var bucket = new TokenBucketJson(rate / 4, 0, 250);
        var limiter = new RateLimiterJson(Optional.of(bucket), Optional.empty());
        VmView c = vms().create(VmCreateRequest.empty().named("c")
                .withNetRate(new NetRate(Optional.of(limiter), Optional.of(limiter))), true);
        try {
            long bytes = 6L << 20;
            double rx = measureHostToGuest(c, bytes);
            double tx = measureGuestToHost(c, bytes);
            System.out.printf("MEASURED nic rx %.0f B/s (%.3f of %d), tx %.0f B/s (%.3f)%n", rx, rx / rate, rate, tx, tx / rate);
            assertThat(rx / rate).as("guest receive rate %.0f B/s", rx).isBetween(0.8, 1.2);
            assertThat(tx / rate).as("guest send rate %.0f B/s", tx).isBetween(0.8, 1.2);
        } finally {
            vms().remove("c", true);
        }
    }

    @Test
    @Order(8)
    void aRateLimitedDiskMeasuresWithinTwentyPercentOfItsRate() throws Exception {
        long rate = 1 << 20; // 1 MiB/s, refilled in quarter seconds
        Path data = tmp.resolve("throttled.img");
        try (var f = new java.io.RandomAccessFile(data.toFile(), "rw")) {
            f.setLength(16L << 20);
        }
        var limiter = new RateLimiterJson(Optional.of(new TokenBucketJson(rate / 4, 0, 250)), Optional.empty());
        VmView d = vms().create(new VmCreateRequest(Optional.of("d"), Optional.empty(), Optional.empty(),
                Optional.of(List.of(new DiskRequest(data.toString(), true))), Optional.empty(), Optional.of(limiter),
                Optional.empty(), Optional.empty(), Optional.empty()), true);
        try {
            long bytes = 6L << 20;
            // a raw, unmounted disk read with O_DIRECT: nothing between dd and QEMU's throttle but the virtio queue
            long t0 = System.nanoTime();
            var r = vms().exec("d", "dd if=/dev/vdb of=/dev/null bs=65536 count=" + (bytes / 65536) + " iflag=direct 2>&1",
                    Duration.ofSeconds(60));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertThat(r.exitCode()).as(r.output()).isZero();
            double measured = bytes / seconds;
            System.out.printf("MEASURED disk read %.0f B/s (%.3f of %d)%n", measured, measured / rate, rate);
            assertThat(measured / rate).as("disk read rate %.0f B/s", measured).isBetween(0.8, 1.2);
        } finally {
            vms().remove("d", true);
        }
    }

    /**
     * A listening socket on the gateway at a port guests may reach: of the host, guests reach only kiln's guest ports
     * (guest isolation), and the bench's iperf3 port is one that nothing else uses during this test.
     */
    private static ServerSocket guestReachableServer(VmView vm) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new java.net.InetSocketAddress(vm.gateway(), HostConfig.BENCH_IPERF_PORT), 1);
        return server;
    }

    /** The host serves {@code bytes}; the guest reads them with nc. Rate = bytes / (accept .. guest saw EOF). */
    private double measureHostToGuest(VmView vm, long bytes) throws Exception {
        try (ServerSocket server = guestReachableServer(vm)) {
            long[] elapsed = new long[1];
            Thread sender = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    byte[] chunk = new byte[64 * 1024];
                    for (long sent = 0; sent < bytes; sent += chunk.length) out.write(chunk);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            long t0 = System.nanoTime();
            var r = vms().exec(vm.name(), "nc " + vm.gateway() + " " + server.getLocalPort() + " | wc -c", Duration.ofSeconds(60));
            elapsed[0] = System.nanoTime() - t0;
            sender.join();
            assertThat(r.output().trim()).isEqualTo(Long.toString(bytes));
            return bytes / (elapsed[0] / 1e9);
        }
    }

    /** The guest sends {@code bytes} with nc; the host times first byte to EOF. */
    private double measureGuestToHost(VmView vm, long bytes) throws Exception {
        try (ServerSocket server = guestReachableServer(vm)) {
            long[] result = new long[2];
            Thread receiver = Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[64 * 1024];
                    int n = in.read(buf);
                    long t0 = System.nanoTime();
                    long total = Math.max(n, 0);
                    while ((n = in.read(buf)) > 0) total += n;
                    result[0] = total;
                    result[1] = System.nanoTime() - t0;
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            var r = vms().exec(vm.name(), "dd if=/dev/zero bs=65536 count=" + (bytes / 65536) + " 2>/dev/null | nc "
                    + vm.gateway() + " " + server.getLocalPort(), Duration.ofSeconds(60));
            receiver.join();
            assertThat(result[0]).as(r.output()).isEqualTo(bytes);
            return bytes / (result[1] / 1e9);
        }
    }

    @Test
    @Order(9)
    void eightCreateRemoveCyclesLeaveNothingBehind() throws Exception {
        // SoakTest runs the long version (150 cycles in the suite, fake driver, and three on jailed QEMU); here a VM
        // is removed while it boots in six cycles and once it is ready in two
        List<String> linksBefore = TestHosts.kilnLinks(config.bridge());
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            VmView v = vms().create(VmCreateRequest.empty().named("cycle-" + i), i % 4 == 0);
            ids.add(v.id());
            vms().remove(v.name(), true);
        }
        assertThat(vms().list()).isEmpty();
        assertThat(TestHosts.kilnLinks(config.bridge())).containsExactlyInAnyOrderElementsOf(linksBefore);
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
        try (var left = Files.list(config.stateDir().resolve("vms"))) {
            assertThat(left.toList()).isEmpty();
        }
        String leases = Files.readString(config.stateDir().resolve("net").resolve("leases.json"));
        for (String id : ids) assertThat(leases).doesNotContain(id);
    }
}
