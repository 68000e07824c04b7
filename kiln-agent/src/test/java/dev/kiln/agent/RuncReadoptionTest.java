package dev.kiln.agent;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.RestartPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * An agent that restarts takes its predecessor's containers over (real runc on this host; root only). The first
 * runtime starts containers and is closed, as a killed agent would stop watching them; while no agent runs some of
 * them end; a second runtime on the same state directory then finds every one in the state it is really in.
 */
class RuncReadoptionTest {
    @TempDir
    static Path state;

    private static final RuncHarness harness = new RuncHarness();
    private static final List<String> ids = new ArrayList<>();
    private static AgentConfig config;
    private static ImagePuller.PulledImage image;
    private static Path imageRootfs;
    private static RuncContainerRuntime second;

    @BeforeAll
    static void setUp() throws IOException {
        String why = Fixtures.runcUnavailable();
        assumeTrue(why.isEmpty(), why);
        config = AgentConfig.parse(harness.args(state), Map.of());
        imageRootfs = Files.createDirectories(state.resolve("image/rootfs"));
        LayerUnpacker.create().apply(TarBuilder.stream(Fixtures.busyboxLayer()), imageRootfs);
        image = new ImagePuller.PulledImage("test/busybox:1", "sha256:" + "b".repeat(64), "sha256:" + "c".repeat(64),
                new ImageConfig(List.of(), List.of("sh"), List.of(), "", ""), List.of(), 0);
    }

    @AfterAll
    static void tearDown() throws IOException {
        if (second == null) {
            return;
        }
        for (ContainerInfo c : second.list()) {
            second.remove(c.id(), true);
        }
        second.close();
        harness.assertNoLeaks(state, ids);
    }

    private static ContainerSpec sh(String name, String script) {
        return ContainerSpec.of(name, "test/busybox:1").withCommand(List.of("sh", "-c", script));
    }

    @Test
    void aRestartedAgentFindsRunningEndedAndRestartingContainersAsTheyAre() throws IOException {
        RuncContainerRuntime first = new RuncContainerRuntime(config, Cgroups.detect(), HostFacts.system(),
                Clock.systemUTC());
        ContainerInfo server = first.start(sh("server",
                "echo up; trap 'echo bye; exit 7' TERM; while true; do sleep 0.1; done"), image, imageRootfs);
        ContainerInfo quick = first.start(sh("quick", "sleep 1; exit 3"), image, imageRootfs);
        ContainerInfo flaky = first.start(sh("flaky", "echo run; sleep 1; exit 1")
                .withRestart(RestartPolicy.onFailure(1)), image, imageRootfs);
        ContainerInfo done = first.start(sh("done", "exit 5"), image, imageRootfs);
        ids.addAll(List.of(server.id(), quick.id(), flaky.id(), done.id()));
        await().atMost(Duration.ofSeconds(30)).until(() -> first.inspect("done").state() == ContainerState.EXITED);
        assertThat(server.state()).isEqualTo(ContainerState.RUNNING);
        // A bundle the agent died while creating: no record yet.
        Path halfMade = Files.createDirectories(state.resolve("containers/0123456789ab"));
        Files.writeString(halfMade.resolve("stdout.log"), "");

        first.close(); // the agent is gone; its containers are not
        Path quickBundle = state.resolve("containers").resolve(quick.id());
        await().atMost(Duration.ofSeconds(30))
                .until(() -> Files.exists(quickBundle.resolve(ContainerRecords.EXIT))
                        && Files.exists(state.resolve("containers").resolve(flaky.id()).resolve(ContainerRecords.EXIT)));

        second = new RuncContainerRuntime(config, Cgroups.detect(), HostFacts.system(), Clock.systemUTC());
        assertThat(second.recover()).isEqualTo(4);
        assertThat(halfMade).doesNotExist();

        ContainerInfo adopted = second.inspect("server");
        assertThat(adopted.id()).isEqualTo(server.id());
        assertThat(adopted.state()).isEqualTo(ContainerState.RUNNING);
        assertThat(adopted.pid()).isEqualTo(server.pid());
        assertThat(second.exec("server", ExecRequest.of("echo", "still-here")).stdout()).contains("still-here");

        await().atMost(Duration.ofSeconds(30)).until(() -> second.inspect("quick").state() == ContainerState.EXITED);
        assertThat(second.inspect("quick").exitCode()).contains(3);

        assertThat(second.inspect("done").state()).isEqualTo(ContainerState.EXITED);
        assertThat(second.inspect("done").exitCode()).contains(5);

        // Ended (status 1) while no agent ran; its policy allows one restart, which the new agent makes.
        await().atMost(Duration.ofSeconds(30)).until(() -> second.inspect("flaky").restarts() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> second.inspect("flaky").state() == ContainerState.EXITED);
        assertThat(Files.readString(state.resolve("containers").resolve(flaky.id()).resolve("stdout.log")))
                .isEqualTo("run\nrun\n");

        // The adopted run is stopped like any other, and its exit status is the one the container chose.
        ContainerInfo stopped = second.stop("server", Duration.ofSeconds(10));
        assertThat(stopped.state()).isEqualTo(ContainerState.EXITED);
        assertThat(stopped.exitCode()).contains(7);
        assertThat(Files.readString(state.resolve("containers").resolve(server.id()).resolve("stdout.log")))
                .isEqualTo("up\nbye\n");
    }
}
