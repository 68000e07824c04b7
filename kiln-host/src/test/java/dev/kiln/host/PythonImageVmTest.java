package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.kiln.image.BuildSpec;
import dev.kiln.image.ImageBuild;
import dev.kiln.image.ImageStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The slow test: an image built from Debian's packages (examples/images/python3.yaml: numpy, Pillow, OpenCV,
 * scikit-learn, PyTorch) imports them all inside a microVM. The build (about 2 to 3 minutes, 2.2 GB) is cached in
 * an image store under /var/tmp; the pull of 2.2 GB into a TCG guest and the imports take 5 to 14 minutes more. That
 * is half of the suite's time on a 2-core machine, so it runs only when asked for:
 * {@code ./run-tests -Dkiln.test.python=true} (otherwise it is skipped, with that reason shown).
 */
@Tag("slow")
class PythonImageVmTest {
    private static final Path CACHE = TestHosts.IMAGE_CACHE.resolve("python-store");
    private static final String TAG = "python3-sci:1";

    @Test
    void numpyPilOpenCvSklearnAndTorchImportInsideAMicroVm() throws IOException {
        Assumptions.assumeTrue("true".equals(System.getProperty("kiln.test.python")),
                "left out unless -Dkiln.test.python=true (a 2.2 GB image pulled into a TCG guest: 5 to 14 minutes)");
        Path spec = Path.of("../examples/images/python3.yaml").toAbsolutePath().normalize();
        ImageStore cache = ImageStore.open(CACHE);
        if (cache.list().stream().noneMatch(i -> i.references().contains(TAG))) {
            long t0 = System.nanoTime();
            ImageBuild.forHost(cache, Clock.systemUTC(), Duration.ofMinutes(30)).build(BuildSpec.read(spec), TAG);
            System.out.printf("MEASURED python image build: %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        HostConfig config = TestHosts.config(false);
        HostAgent agent = HostAgent.start(config);
        try {
            agent.images().importFrom(CACHE);
            long t0 = System.nanoTime();
            ContainerView c = agent.containers().run(ContainerRunRequest.of(TAG).named("py")
                    .withVmMemory("1536M").withVmScratch("12G")
                    .withCommand(List.of("python3", "-c", "import numpy, PIL, cv2, sklearn, torch; "
                            + "print('imports ok', numpy.__version__, cv2.__version__, torch.__version__)")));
            System.out.printf("MEASURED python container started (fresh VM, pull, unpack): %.1f s%n", (System.nanoTime() - t0) / 1e9);
            await().atMost(Duration.ofMinutes(20)).pollInterval(Duration.ofSeconds(2))
                    .until(() -> !List.of("running", "created").contains(agent.containers().get("py").state()));
            System.out.printf("MEASURED python imports done: %.1f s after the run began%n", (System.nanoTime() - t0) / 1e9);
            ContainerView done = agent.containers().get("py");
            String out;
            try (InputStream in = agent.containers().logs("py", false, "both")) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(done.exitCode()).as(out).contains(0);
            assertThat(out).contains("imports ok");
            assertThat(c.ownsVm()).isTrue();
        } finally {
            agent.cleanupAndClose();
            TestHosts.deleteTree(config.stateDir());
        }
    }
}
