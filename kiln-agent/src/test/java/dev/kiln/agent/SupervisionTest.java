package dev.kiln.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.ContainerState;
import dev.kiln.api.agent.RestartPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's own view of whether it still looks after its containers, with the real runc (root only; skipped with
 * the reason otherwise): a blocked restart scheduler, and a restart it therefore never makes, are reported; once the
 * scheduler runs again the container restarts and the report clears.
 */
class SupervisionTest {
    @TempDir
    Path state;

    @Test
    void aStuckRestartSchedulerAndAnOverdueRestartAreReportedUntilTheSchedulerRunsAgain() throws Exception {
        String why = Fixtures.runcUnavailable();
        assumeTrue(why.isEmpty(), why);
        var harness = new RuncHarness();
        AgentConfig config = AgentConfig.parse(harness.args(state), Map.of());
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        var runtime = new RuncContainerRuntime(config, Cgroups.detect(), HostFacts.system(), Clock.systemUTC(),
                scheduler, Duration.ofMillis(300));
        String id = null;
        var release = new CountDownLatch(1);
        try {
            Path imageRootfs = Files.createDirectories(state.resolve("image/rootfs"));
            LayerUnpacker.create().apply(TarBuilder.stream(Fixtures.busyboxLayer()), imageRootfs);
            var image = new ImagePuller.PulledImage("test/busybox:1", "sha256:" + "b".repeat(64),
                    "sha256:" + "c".repeat(64), new ImageConfig(List.of(), List.of("sh"), List.of(), "", ""),
                    List.of(), 0);
            assertThat(runtime.supervisionProblem()).as("an idle runtime").isEmpty();

            scheduler.execute(() -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(runtime.supervisionProblem()).as("the scheduler's one thread is blocked")
                    .hasValueSatisfying(p -> assertThat(p).contains("restart scheduler did not run a task"));

            ContainerInfo info = runtime.start(ContainerSpec.of("crashy", "test/busybox:1")
                    .withCommand(List.of("sh", "-c", "echo run; exit 1")).withRestart(RestartPolicy.always()),
                    image, imageRootfs);
            id = info.id();
            String crashy = id;
            await().atMost(Duration.ofSeconds(20)).until(() -> runtime.inspect(crashy).state()
                    == ContainerState.RESTARTING);
            await().atMost(Duration.ofSeconds(10)).until(() -> runtime.supervisionProblem()
                    .filter(p -> p.equals("the restart of container crashy is more than 300 ms overdue"))
                    .isPresent());
            assertThat(runtime.supervisionProblem()).as("the same words on every check (the cluster records each"
                    + " new reason)").contains("the restart of container crashy is more than 300 ms overdue");
            assertThat(runtime.inspect(crashy).restarts()).as("no restart while the scheduler is stuck").isZero();

            release.countDown();
            await().atMost(Duration.ofSeconds(20)).until(() -> runtime.inspect(crashy).restarts() >= 1);
            await().atMost(Duration.ofSeconds(10)).until(() -> runtime.supervisionProblem().isEmpty());
        } finally {
            release.countDown();
            if (id != null) {
                runtime.stop(id, Duration.ofSeconds(5));
                runtime.remove(id, true);
            }
            runtime.close();
            harness.assertNoLeaks(state, id == null ? List.of() : List.of(id));
        }
    }
}
