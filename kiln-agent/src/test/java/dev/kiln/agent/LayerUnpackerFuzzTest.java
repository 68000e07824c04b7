package dev.kiln.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.api.agent.AgentErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;

/**
 * The guest unpacks layers as root into a container's root: whatever the bytes, it returns its counts or refuses
 * the layer with BAD_IMAGE, and nothing beside the root changes. Two layers are applied, the input and then the
 * input again, so that entries of one layer meet links and files of a lower one. Inputs:
 * {@code LayerUnpackerFuzzTestInputs/} (docs/ARCHITECTURE.md, "Hostile input").
 */
class LayerUnpackerFuzzTest {
    private static final Path SANDBOX = sandbox();
    private static final Map<String, String> OUTSIDE = HostileLayerTest.tree(SANDBOX.resolve("outside"));

    @FuzzTest(maxDuration = "60s")
    void unpacksOrRefusesAndStaysInside(byte[] data) throws IOException {
        Path root = Files.createTempDirectory(SANDBOX.resolve("roots"), "root");
        try {
            for (int layer = 0; layer < 2; layer++) {
                try {
                    assertThat(LayerUnpacker.create().apply(TarBuilder.stream(data), root)).isNotNull();
                } catch (AgentException e) {
                    assertThat(e.code()).isEqualTo(AgentErrorCode.BAD_IMAGE);
                    assertThat(e.getMessage()).isNotBlank();
                    break;
                }
            }
            assertThat(HostileLayerTest.tree(SANDBOX.resolve("outside"))).isEqualTo(OUTSIDE);
            try (Stream<Path> roots = Files.list(SANDBOX.resolve("roots"))) {
                assertThat(roots).containsExactly(root);
            }
        } finally {
            deleteTree(root);
        }
    }

    @AfterAll
    static void removeTheSandbox() throws IOException {
        deleteTree(SANDBOX);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static Path sandbox() {
        try {
            Path dir = Files.createTempDirectory("kiln-unpack-fuzz");
            Files.createDirectories(dir.resolve("roots"));
            Files.createDirectories(dir.resolve("outside/etc"));
            Files.writeString(dir.resolve("outside/etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
