package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.kiln.api.agent.AgentProtocol;
import dev.kiln.api.agent.ExecRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Containers under runc inside real microVMs (QEMU, TCG here): an image imported into the host's store, pulled by
 * the guest agent from the daemon's registry on the bridge, run, reached through a host port forward. One daemon
 * and one shared VM serve the tests that are not about a fresh VM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerVmTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private HostConfig config;
    private HostAgent agent;
    private VmView shared;
    private Path work;

    @BeforeAll
    void start() throws IOException {
        config = TestHosts.config(false);
        agent = HostAgent.start(config);
        work = Files.createTempDirectory("kiln-ctr-test-");
        Path layout = BusyboxImage.write(work.resolve("busybox"), "busybox:test",
                Map.of("bin/hog", "#!/bin/sh\nx=$(yes 0123456789abcdef | head -c 200000000)\necho survived\n"));
        agent.images().importFrom(layout);
        shared = agent.vms().create(VmCreateRequest.empty().named("shared").withMemory("512M"), true);
    }

    @AfterAll
    void stop() throws IOException {
        if (agent != null) agent.cleanupAndClose();
        assertThat(TestHosts.qemuProcessesUnder(config.stateDir())).isEmpty();
        TestHosts.deleteTree(config.stateDir());
        TestHosts.deleteTree(work);
    }

    private ContainerService containers() {
        return agent.containers();
    }

    private ContainerView awaitExit(String name) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200))
                .until(() -> !List.of("running", "created", "restarting").contains(containers().get(name).state()));
        return containers().get(name);
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @Order(1)
    void aContainerInAFreshVmGivesBackItsOutputAndExitCodeAndTakesItsVmAlong() throws IOException {
        // with a tenant and egress denied: the fresh VM's lease carries them, and the guest still pulls its image
        // from the daemon's registry (a guest port on the bridge address)
        ContainerView c = containers().run(ContainerRunRequest.of("busybox:test").named("once")
                .withTenant("ctr-a").withEgress("deny")
                .withCommand(List.of("sh", "-c", "echo hello from runc; echo to-stderr >&2; exit 3")));
        assertThat(c.ownsVm()).isTrue();
        VmView vmView = agent.vms().get(c.vm());
        assertThat(vmView.tenant()).contains("ctr-a");
        assertThat(vmView.egress()).contains("deny");
        assertThat(agent.network().policy(vmView.id())).contains(
                new dev.kiln.net.GuestPolicy("ctr-a", dev.kiln.net.GuestPolicy.Egress.DENY));
        assertThat(agent.network().policy(shared.id())).contains(dev.kiln.net.GuestPolicy.defaults());
        ContainerView done = awaitExit("once");
        assertThat(done.exitCode()).contains(3);
        assertThat(done.oomKilled()).isFalse();
        assertThat(readAll(containers().logs("once", false, "stdout"))).contains("hello from runc").doesNotContain("to-stderr");
        assertThat(readAll(containers().logs("once", false, "stderr"))).contains("to-stderr");
        String vm = done.vm();
        containers().remove("once", false);
        assertThat(agent.vms().list()).extracting(VmView::name).doesNotContain(vm);
    }

    @Test
    @Order(2)
    void aContainerServingHttpIsReachableThroughAHostPortForward() throws Exception {
        int port = freePort();
        containers().run(ContainerRunRequest.of("busybox:test").named("web").inVm("shared")
                .withCommand(List.of("httpd", "-f", "-p", "8080", "-h", "/www"))
                .withPorts(List.of(port + ":8080")));
        String body = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body(), b -> b.contains("hello"));
        assertThat(body).contains("hello from a container in a microVM");

        var exec = containers().exec("web", ExecRequest.of("cat", "/www/index.html"));
        assertThat(exec.exitCode()).isZero();
        assertThat(exec.stdout()).contains("hello from a container");
        assertThat(containers().stats("web").memoryCurrentBytes()).isPositive();

        // a file copied in is served; one copied out comes back; a path out of the root is refused
        byte[] page = "copied in by the host\n".getBytes(StandardCharsets.UTF_8);
        containers().writeFile("web", "/www/copied.html", "0644", () -> new java.io.ByteArrayInputStream(page));
        assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/copied.html")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("copied in by the host\n");
        assertThat(readAll(containers().readFile("web", "/www/index.html"))).contains("hello from a container");
        assertThatThrownBy(() -> readAll(containers().readFile("web", "/www/../../etc/shadow")))
                .isInstanceOf(HostException.class);

        // the port is now taken: a second container asking for it changes nothing
        int vmsBefore = agent.vms().list().size();
        assertThatThrownBy(() -> containers().run(ContainerRunRequest.of("busybox:test").named("web2")
                .withPorts(List.of(port + ":8080"))))
                .isInstanceOf(HostException.class).extracting(e -> ((HostException) e).code()).isEqualTo(HostError.PORT_IN_USE);
        assertThat(agent.vms().list()).hasSize(vmsBefore);

        containers().remove("web", true);
        assertThatThrownBy(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }

    @Test
    @Order(3)
    void aContainerOverItsMemoryLimitIsOomKilledAndTheVmSurvives() {
        containers().run(ContainerRunRequest.of("busybox:test").named("hog").inVm("shared").withMemory("32M")
                .withCommand(List.of("/bin/hog")));
        ContainerView done = awaitExit("hog");
        assertThat(done.oomKilled()).as("state %s exit %s error %s", done.state(), done.exitCode(), done.error()).isTrue();
        assertThat(done.exitCode()).contains(137);
        assertThat(agent.vms().get("shared").phase()).isEqualTo("running");
        assertThat(AgentClient.healthy(shared.ip(), Duration.ofSeconds(5))).isTrue();
        containers().remove("hog", false);
    }

    @Test
    @Order(4)
    void theAgentRefusesRequestsWithoutTheTokenAndOtherGuestsCannotReachIt() throws Exception {
        HttpResponse<String> noToken = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + shared.ip() + ":" + AgentProtocol.PORT + AgentProtocol.FACTS_PATH)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(noToken.statusCode()).isEqualTo(401);
        HttpResponse<String> wrong = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + shared.ip() + ":" + AgentProtocol.PORT + AgentProtocol.CONTAINERS_PATH))
                .header(AgentProtocol.AUTHORIZATION_HEADER, AgentProtocol.bearer("0".repeat(32))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(wrong.statusCode()).isEqualTo(401);

        VmView other = agent.vms().create(VmCreateRequest.empty().named("other"), true);
        try {
            // the guests reach each other's other ports over TCP, but not each other's agent or control port
            // (busybox wget's own -T crashes; timeout(1) bounds it instead)
            agent.vms().exec("shared", "mkdir -p /tmp/site && echo site-of-shared > /tmp/site/index.html"
                    + " && httpd -p 8000 -h /tmp/site", Duration.ofSeconds(20));
            var open = agent.vms().exec("other", "timeout 5 wget -q -O - http://" + shared.ip() + ":8000/; echo rc=$?",
                    Duration.ofSeconds(30));
            assertThat(open.output()).contains("site-of-shared").contains("rc=0");
            for (int port : List.of(AgentProtocol.PORT, dev.kiln.guest.GuestProtocol.CONTROL_PORT)) {
                var probe = agent.vms().exec("other", "timeout 3 wget -q -O - http://" + shared.ip() + ":" + port
                        + "/; echo rc=$?", Duration.ofSeconds(30));
                assertThat(probe.output()).as("port %d", port).contains("rc=143"); // killed by timeout: no answer
            }
            // while the host still does
            assertThat(AgentClient.healthy(shared.ip(), Duration.ofSeconds(5))).isTrue();
        } finally {
            agent.vms().remove(other.id(), true);
        }
    }

    @Test
    @Order(5)
    void badRunsChangeNothing() {
        int vmsBefore = agent.vms().list().size();
        assertThatThrownBy(() -> containers().run(ContainerRunRequest.of("no-such-image:1")))
                .isInstanceOf(HostException.class).hasMessageContaining("no-such-image")
                .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.IMAGE_NOT_FOUND);
        assertThatThrownBy(() -> containers().run(ContainerRunRequest.of("busybox:test").inVm("shared").withMemory("1G")))
                .isInstanceOf(HostException.class).hasMessageContaining("memory")
                .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.INVALID_SPEC);
        assertThat(agent.vms().list()).hasSize(vmsBefore);
        assertThat(containers().list()).isEmpty();
    }

    @Test
    @Order(6)
    void aMissingEntrypointIsReportedWithTheGuestsError() {
        var failure = org.assertj.core.api.Assertions.catchThrowable(() -> containers().run(
                ContainerRunRequest.of("busybox:test").named("nope").inVm("shared").withCommand(List.of("/no/such/binary"))));
        if (failure == null) {
            ContainerView done = awaitExit("nope");
            assertThat(done.state()).isIn("failed", "exited");
            assertThat(done.error().orElse("") + done.exitCode()).containsAnyOf("no such file", "not found", "127");
            containers().remove("nope", true);
        } else {
            assertThat(failure).isInstanceOf(HostException.class).hasMessageContaining("/no/such/binary");
        }
    }

    @Test
    @Order(7)
    void aLayerWhoseDigestDoesNotMatchIsRefusedByTheGuest() throws IOException {
        Path layout = BusyboxImage.write(work.resolve("tampered"), "tampered:1", Map.of("etc/marker", "tampered"));
        agent.images().importFrom(layout);
        var details = agent.images().inspect("tampered:1");
        // corrupt the stored layer after import: the registry serves it, the guest must refuse it
        Path blob = agent.images().root().resolve("blobs/sha256/" + details.layers().getFirst().digest().hex());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(blob, bytes);
        int vmsBefore = agent.vms().list().size();
        assertThatThrownBy(() -> containers().run(ContainerRunRequest.of("tampered:1").inVm("shared")))
                .isInstanceOf(HostException.class).hasMessageContaining("sha256")
                .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.IMAGE_INVALID);
        assertThat(agent.vms().list()).hasSize(vmsBefore);
    }

    @Test
    @Order(8)
    void aReadOnlyDataDriveIsSharedByContainersInTwoVmsAtOnce() throws Exception {
        Path content = Files.createDirectories(work.resolve("dataset"));
        Files.writeString(content.resolve("numbers.csv"), "1,2,3\n");
        Path disk = work.resolve("dataset.img");
        Process mk = new ProcessBuilder("mke2fs", "-q", "-t", "ext4", "-d", content.toString(), disk.toString(), "8M")
                .redirectErrorStream(true).start();
        assertThat(mk.waitFor()).isZero();
        var req = ContainerRunRequest.of("busybox:test").withDisks(List.of(new DiskRequest(disk.toString(), true)))
                .withVolumes(List.of("/mnt/vdb:/data:ro"));
        containers().run(req.named("reader1").withCommand(List.of("sh", "-c", "cat /data/numbers.csv; sleep 600")));
        containers().run(req.named("reader2").withCommand(List.of("sh", "-c",
                "cat /data/numbers.csv; echo x > /data/new 2>/dev/null && echo wrote || echo read-only")));
        ContainerView second = awaitExit("reader2");
        assertThat(second.exitCode()).contains(0);
        assertThat(readAll(containers().logs("reader2", false, "stdout"))).contains("1,2,3").contains("read-only");
        assertThat(containers().get("reader1").state()).isEqualTo("running");
        assertThat(readAll(containers().logs("reader1", false, "stdout"))).contains("1,2,3");
        assertThat(containers().get("reader1").vm()).isNotEqualTo(second.vm());
        containers().remove("reader1", true);
        containers().remove("reader2", true);
        assertThatThrownBy(() -> containers().run(req.inVm("shared"))).isInstanceOf(HostException.class)
                .hasMessageContaining("fresh VM");
    }

    @Test
    @Order(9)
    void aScratchDiskThatFillsUpIsAClearErrorAndLeavesNothing() throws IOException {
        var big = new StringBuilder(100 << 20);
        var random = new java.util.Random(42);
        while (big.length() < (100 << 20)) {
            big.append(Long.toHexString(random.nextLong()));
        }
        agent.images().importFrom(BusyboxImage.write(work.resolve("big"), "big:1", Map.of("data/blob", big.toString())));
        int vmsBefore = agent.vms().list().size();
        assertThatThrownBy(() -> containers().run(ContainerRunRequest.of("big:1").named("big").withVmScratch("64M")))
                .isInstanceOf(HostException.class)
                .extracting(e -> ((HostException) e).code()).isEqualTo(HostError.DISK_FULL);
        assertThat(agent.vms().list()).hasSize(vmsBefore);
        assertThat(containers().list()).extracting(ContainerView::name).doesNotContain("big");
    }

    @Test
    @Order(10)
    void aJavaImageBuiltFromAJarRunsInAMicroVm() throws IOException {
        Path jar = JavaApps.helloJar(work.resolve("java"));
        Path spec = Files.writeString(jar.resolveSibling("build.yaml"), """
                java: {jar: hello.jar}
                env: {GREETING: hello}
                cmd: [microvm]
                """);
        dev.kiln.image.ImageBuild.forHost(agent.images(), java.time.Clock.systemUTC(), Duration.ofMinutes(5))
                .build(dev.kiln.image.BuildSpec.read(spec), "hello-java:1");
        containers().run(ContainerRunRequest.of("hello-java:1").named("java").inVm("shared"));
        ContainerView done = awaitExit("java");
        assertThat(done.exitCode()).as("error %s", done.error()).contains(0);
        assertThat(readAll(containers().logs("java", false, "stdout"))).contains("hello microvm from Java 25");
        containers().remove("java", false);
    }

    @Test
    @Order(11)
    void aRestartedGuestAgentTakesOverTheRunningContainers() throws IOException {
        containers().run(ContainerRunRequest.of("busybox:test").named("keeper").inVm("shared")
                .withCommand(List.of("sh", "-c", "echo up; trap 'echo bye; exit 7' TERM; while true; do sleep 0.2; done")));
        var before = containers().get("keeper");
        assertThat(before.state()).isEqualTo("running");

        var killed = agent.vms().exec("shared", "kill -9 $(cat " + dev.kiln.guest.GuestProtocol.AGENT_PID + ") && echo killed",
                Duration.ofSeconds(20));
        assertThat(killed.output()).contains("killed");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> !AgentClient.healthy(shared.ip(), Duration.ofSeconds(1)));
        // init starts a new agent, which finds the container still running
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> AgentClient.healthy(shared.ip(), Duration.ofSeconds(2)));
        var after = containers().get("keeper");
        assertThat(after.state()).isEqualTo("running");
        assertThat(containers().exec("keeper", ExecRequest.of("echo", "still-here")).stdout()).contains("still-here");
        var log = agent.vms().exec("shared", "cat " + dev.kiln.guest.GuestProtocol.AGENT_LOG, Duration.ofSeconds(20));
        assertThat(log.output()).contains("took over 1 container");

        // the adopted container stops as any other, with the exit code it chose
        containers().stop("keeper", Duration.ofSeconds(10));
        ContainerView stopped = awaitExit("keeper");
        assertThat(stopped.exitCode()).contains(7);
        assertThat(readAll(containers().logs("keeper", false, "stdout"))).contains("up").contains("bye");
        containers().remove("keeper", false);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
