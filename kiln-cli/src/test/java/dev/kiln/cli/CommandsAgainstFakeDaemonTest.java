package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandsAgainstFakeDaemonTest {
    private static final String NOT_FOUND = "{\"error\":{\"code\":\"VM_NOT_FOUND\",\"message\":\"no VM named 'nope'\","
            + "\"hint\":\"list VMs with 'kiln vm ls'\"}}";

    @TempDir
    Path dir;

    FakeDaemon daemon;

    @BeforeEach
    void start() throws Exception {
        String stopped = FormattingTest.VM.replace("\"web1\"", "\"old\"").replace("\"running\"", "\"stopped\"");
        daemon = new FakeDaemon(dir.resolve("kiln.sock"))
                .answer("GET /v1/vms", FakeDaemon.Answer.json(200, "{\"vms\":[" + FormattingTest.VM + "," + stopped + "]}"))
                .answer("GET /v1/vms/web1", FakeDaemon.Answer.json(200, FormattingTest.VM))
                .answer("GET /v1/vms/nope", FakeDaemon.Answer.json(404, NOT_FOUND))
                .answer("DELETE /v1/vms/nope", FakeDaemon.Answer.json(404, NOT_FOUND))
                .answer("DELETE /v1/vms/web1", FakeDaemon.Answer.json(204, ""))
                .answer("POST /v1/vms", FakeDaemon.Answer.json(201, FormattingTest.VM))
                .answer("POST /v1/vms/web1/exec", FakeDaemon.Answer.json(200, "{\"exitCode\":42,\"output\":\"hello\\n\"}"))
                .answer("POST /v1/vms/web1/pause", FakeDaemon.Answer.json(200, FormattingTest.VM.replace("\"running\"", "\"paused\"")));
    }

    @AfterEach
    void stop() throws Exception {
        daemon.close();
    }

    private CliRunner.Result kiln(String... args) {
        return CliRunner.run(daemon.socket, args);
    }

    @Test
    void lsHidesEndedVmsUnlessAll() {
        CliRunner.Result r = kiln("vm", "ls");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines().toList()).hasSize(2).first().asString().startsWith("NAME   ID");
        assertThat(kiln("vm", "ls", "-a").out().lines().toList()).hasSize(3);
    }

    @Test
    void theSocketMayAlsoBeGivenAfterTheCommand() {
        CliRunner.Result r = CliRunner.run("vm", "ls", "--socket", daemon.socket.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("web1");
    }

    @Test
    void lsJson() throws Exception {
        JsonNode json = new ObjectMapper().readTree(kiln("vm", "ls", "--json").out());
        assertThat(json.path("vms")).hasSize(1);
    }

    @Test
    void inspectOfAMissingVmPrintsErrorAndHintAndExits3() {
        CliRunner.Result r = kiln("vm", "inspect", "nope");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("error: no VM named 'nope'\nhint: list VMs with 'kiln vm ls'\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void withJsonTheErrorIsJsonOnStdout() throws Exception {
        CliRunner.Result r = kiln("vm", "inspect", "--json", "nope");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(new ObjectMapper().readTree(r.out()).path("error").path("code").asText()).isEqualTo("VM_NOT_FOUND");
    }

    @Test
    void runSendsTheCreateRequestAndPrintsTheSummary() throws Exception {
        CliRunner.Result r = kiln("vm", "run", "--name", "web1", "--vcpus", "2", "--memory", "1G", "--disk", "d.img:ro",
                "--net-rate", "rx=1M/1s", "--disk-rate", "ops:500/1s", "--boot-timeout", "90s");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("web1 is running at 10.77.0.2 (booted in 4.3 s, id 3f9a1c2b7d40, qemu/tcg)\n");
        FakeDaemon.Seen seen = daemon.seen.getFirst();
        assertThat(seen.query()).isEqualTo("wait=true");
        JsonNode body = new ObjectMapper().readTree(seen.body());
        assertThat(body.path("name").asText()).isEqualTo("web1");
        assertThat(body.path("vcpus").asInt()).isEqualTo(2);
        assertThat(body.path("memory").asText()).isEqualTo("1G");
        assertThat(body.path("disks").get(0).path("path").asText()).isEqualTo(Path.of("d.img").toAbsolutePath().toString());
        assertThat(body.path("disks").get(0).path("readOnly").asBoolean()).isTrue();
        assertThat(body.path("netRate").path("rx").path("bandwidth").path("refillTime").asLong()).isEqualTo(1000);
        assertThat(body.path("netRate").has("tx")).isFalse();
        assertThat(body.path("diskRate").path("ops").path("size").asLong()).isEqualTo(500);
        assertThat(body.path("driver").asText()).isEqualTo("auto");
        assertThat(body.path("bootTimeout").asText()).isEqualTo("90s");
    }

    @Test
    void runSendsTheFreshVmsTenantAndEgress() throws Exception {
        daemon.answer("POST /v1/containers", FakeDaemon.Answer.json(201, "{\"name\":\"web\",\"state\":\"running\"}"));
        CliRunner.Result r = kiln("run", "--name", "web", "--tenant", "team-a", "--egress", "deny", "httpd:1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("web\n");
        JsonNode body = new ObjectMapper().readTree(daemon.seen.getFirst().body());
        assertThat(body.path("image").asText()).isEqualTo("httpd:1");
        assertThat(body.path("tenant").asText()).isEqualTo("team-a");
        assertThat(body.path("egress").asText()).isEqualTo("deny");
        daemon.seen.clear();
        assertThat(kiln("run", "httpd:1").exitCode()).isZero();
        JsonNode plain = new ObjectMapper().readTree(daemon.seen.getFirst().body());
        assertThat(plain.has("tenant")).isFalse();
        assertThat(plain.has("egress")).isFalse();
    }

    @Test
    void detachDoesNotWait() {
        assertThat(kiln("vm", "run", "-d").exitCode()).isZero();
        assertThat(daemon.seen.getFirst().query()).isEqualTo("wait=false");
    }

    @Test
    void execPrintsOutputAndExitsWithTheGuestsCode() {
        CliRunner.Result r = kiln("vm", "exec", "web1", "--", "echo", "hello world");
        assertThat(r.exitCode()).isEqualTo(42);
        assertThat(r.out()).isEqualTo("hello\n");
        assertThat(daemon.seen.getFirst().body()).contains("\"command\":\"echo 'hello world'\"");
    }

    @Test
    void pausePrintsThePhase() {
        CliRunner.Result r = kiln("vm", "pause", "web1");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEqualTo("web1 is paused\n");
    }

    @Test
    void rmTriesEveryNameAndExitsWithTheFirstFailure() {
        CliRunner.Result r = kiln("vm", "rm", "nope", "web1");
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("removed web1\n");
        assertThat(r.err()).contains("error: no VM named 'nope'");
    }

    @Test
    void aDaemonThatIsNotRunningIsExit10() {
        CliRunner.Result r = CliRunner.run(dir.resolve("gone.sock"), "vm", "ls");
        assertThat(r.exitCode()).isEqualTo(10);
        assertThat(r.err()).contains("error: the kiln daemon is not running (no socket at", "hint: start it with 'kiln daemon'");
    }
}
