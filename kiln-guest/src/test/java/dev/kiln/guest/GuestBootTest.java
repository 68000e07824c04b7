package dev.kiln.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Boots the built image in QEMU (TCG, so no KVM is needed) and checks what the guest promises. */
@Tag("vm")
class GuestBootTest {
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path cache;
    static GuestImage image;

    @BeforeAll
    static void build() {
        HostKernel.assumeAvailable();
        Assumptions.assumeTrue(qemuInstalled(), "needs qemu-system-x86");
        image = GuestImageBuilder.create(cache).ensure(GuestImageOptions.defaults(), System.out::println);
    }

    @Test
    void bootsToReady(@TempDir Path work) throws Exception {
        try (QemuGuest vm = QemuGuest.boot(image, work, "kiln.id=t1", QemuGuest.rootDrive(image))) {
            Duration took = vm.awaitConsole(GuestProtocol.READY_MARKER, BOOT_TIMEOUT);
            System.out.println("boot to ready took " + took.toMillis() + " ms");

            assertThat(vm.console()).contains("KILN_GUEST_READY id=t1 ip=none").doesNotContain("kiln: failed");
            assertThat(vm.console().lines().filter(l -> l.contains(GuestProtocol.READY_MARKER))).hasSize(1);
        }
    }

    @Test
    void probeGuestPrintsItsMarkerAndPowersOff(@TempDir Path work) throws Exception {
        try (QemuGuest vm = QemuGuest.boot(image, work, "kiln.probe=1", List.of())) {
            Duration took = vm.awaitConsole(GuestProtocol.PROBE_MARKER, BOOT_TIMEOUT);
            System.out.println("probe took " + took.toMillis() + " ms");

            assertThat(vm.awaitExit(Duration.ofSeconds(15))).as("QEMU exits by itself").isTrue();
        }
    }

    @Test
    void missingRootDiskIsReportedAndPowersOff(@TempDir Path work) throws Exception {
        try (QemuGuest vm = QemuGuest.boot(image, work, "kiln.id=t3", List.of())) {
            vm.awaitConsole(GuestProtocol.FAILED_MARKER, BOOT_TIMEOUT);

            assertThat(vm.console()).contains("KILN_GUEST_FAILED reason=no-root-device");
            assertThat(vm.awaitExit(Duration.ofSeconds(15))).as("QEMU exits by itself").isTrue();
        }
    }

    /**
     * The whole contract in one boot: user-mode networking (no taps) forwards a host port to the control
     * endpoint; a read-write and a read-only data disk; health, exec with and without the token; then a
     * graceful power-off through the ACPI power button, which must leave the read-write disk clean.
     */
    @Test
    void controlEndpointDisksAndPowerButton(@TempDir Path work) throws Exception {
        Path rw = dataDisk(work, "rw");
        Path ro = dataDisk(work, "ro");
        int port = freePort();
        String token = "0123456789abcdef";
        List<String> args = new ArrayList<>(QemuGuest.rootDrive(image));
        args.addAll(List.of(
                "-drive", "id=rw,file=" + rw + ",format=raw,if=none", "-device", "virtio-blk-device,drive=rw",
                "-drive", "id=ro,file=" + ro + ",format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=ro",
                "-netdev", "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:" + port + "-:" + GuestProtocol.CONTROL_PORT,
                "-device", "virtio-net-device,netdev=n0"));
        String append = "kiln.id=vm-42 kiln.ip=10.0.2.15/24 kiln.gw=10.0.2.2 kiln.token=" + token + " kiln.hostname=box";

        try (QemuGuest vm = QemuGuest.boot(image, work, append, args)) {
            vm.awaitConsole(GuestProtocol.READY_MARKER, BOOT_TIMEOUT);
            assertThat(vm.console()).contains("KILN_GUEST_READY id=vm-42 ip=10.0.2.15");
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).build();
            String base = "http://127.0.0.1:" + port;

            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + GuestProtocol.HEALTH_PATH))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.headers().firstValue("Content-Type")).hasValue("application/json");
            JsonNode json = new ObjectMapper().readTree(health.body());
            assertThat(json.get("id").asText()).isEqualTo("vm-42");
            assertThat(json.get("uptime").isNumber()).isTrue();
            assertThat(json.get("uptime").asDouble()).isPositive();
            assertThat(json.get("kernel").asText()).isEqualTo(image.kernelVersion());
            assertThat(json.get("memTotalKb").asLong()).isBetween(100_000L, 262_144L);
            assertThat(json.get("cpus").asInt()).isEqualTo(1);

            HttpResponse<String> forbidden = exec(http, base + GuestProtocol.EXEC_PATH + "?token=wrong", "touch /mnt/vdb/bad");
            assertThat(forbidden.statusCode()).isEqualTo(403);
            HttpResponse<String> noToken = exec(http, base + GuestProtocol.EXEC_PATH, "touch /mnt/vdb/bad");
            assertThat(noToken.statusCode()).isEqualTo(403);

            String command = """
                    hostname
                    cat /mnt/vdb/hello /mnt/vdc/hello
                    echo written > /mnt/vdb/new && echo rw-ok
                    touch /mnt/vdc/new 2>/dev/null || echo ro-ok
                    echo to-stderr >&2
                    (sleep 0.2 &)
                    sleep 1
                    printf 'zombies=%s\\n' "$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)"
                    printf no-newline
                    exit 3""";
            HttpResponse<String> ran = exec(http, base + GuestProtocol.EXEC_PATH + "?token=" + token, command);
            assertThat(ran.statusCode()).isEqualTo(200);
            assertThat(ran.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(ran.body()).isEqualTo("box\nhello rw\nhello ro\nrw-ok\nro-ok\nto-stderr\nzombies=0\nno-newline\nKILN_EXIT=3\n");
            assertThat(Files.exists(rw.resolveSibling("bad"))).isFalse();

            long start = System.nanoTime();
            vm.systemPowerdown();
            assertThat(vm.awaitExit(Duration.ofSeconds(30))).as("QEMU exits after system_powerdown").isTrue();
            System.out.println("power button to exit took " + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
            assertThat(vm.console()).contains("kiln: power button pressed");
        }
        assertThat(GuestImageBuilderTest.run("debugfs", "-R", "cat /new", rw.toString())).isEqualTo("written\n");
        assertThat(GuestImageBuilderTest.run("debugfs", "-R", "ls /", rw.toString())).doesNotContain("bad");
        // Unmounted cleanly by the power-button handler: no journal to replay, nothing for fsck to fix.
        assertThat(GuestImageBuilderTest.run("dumpe2fs", "-h", rw.toString()))
                .containsPattern("Filesystem state:\\s+clean\\n").doesNotContain("needs_recovery");
        assertThat(GuestImageBuilderTest.exec("e2fsck", "-fn", rw.toString()).exitCode()).isZero();
    }

    private static HttpResponse<String> exec(HttpClient http, String uri, String command)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(command)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Path dataDisk(Path work, String name) throws IOException, InterruptedException {
        Path content = Files.createDirectories(work.resolve(name + "-content"));
        Files.writeString(content.resolve("hello"), "hello " + name + "\n");
        Path image = work.resolve(name + ".ext4");
        Process mke2fs = new ProcessBuilder("mke2fs", "-q", "-F", "-t", "ext4", "-d", content.toString(),
                image.toString(), "16M").inheritIO().start();
        assertThat(mke2fs.waitFor()).isZero();
        return image;
    }

    private static boolean qemuInstalled() {
        try {
            return GuestImageBuilderTest.exec("qemu-system-x86_64", "--version").exitCode() == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
