package dev.kiln.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;

/**
 * An image archive (or one layer of it) is the most hostile input kiln reads: it comes from anywhere, and the host
 * unpacks it as root. Whatever the bytes, an import returns a result or throws an {@link ImageException}; a refused
 * import leaves the store as it was and writes nothing beside it. Anything else is a finding. Inputs (valid images
 * in both formats, and the hostile layers of {@link BadInputTest}) live in {@code ImageImportFuzzTestInputs/}.
 */
class ImageImportFuzzTest {
    private static final Path SANDBOX = tempDir();

    @FuzzTest(maxDuration = "60s")
    void archiveImportsOrIsRefusedCleanly(byte[] data) throws IOException {
        Path dir = Files.createTempDirectory(SANDBOX, "run");
        try {
            Path archive = Files.write(dir.resolve("image.tar"), data);
            ImageStore store = ImageStore.open(dir.resolve("store"));
            Map<String, String> before = Fixtures.snapshot(store.root());
            try {
                ImportResult result = store.importFrom(archive);
                assertThat(result).isNotNull();
            } catch (ImageException e) {
                assertThat(e.getMessage()).isNotBlank();
                assertThat(Fixtures.snapshot(store.root())).isEqualTo(before);
            }
            try (Stream<Path> beside = Files.list(dir)) {
                assertThat(beside.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("image.tar", "store");
            }
        } finally {
            deleteTree(dir);
        }
    }

    @FuzzTest(maxDuration = "60s")
    void layerScansOrIsRefused(byte[] data) throws IOException {
        Path blob = Files.createTempFile(SANDBOX, "layer", ".tar");
        try {
            Files.write(blob, data);
            boolean gzip = data.length >= 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b;
            try {
                Digest diffId = new LayerScanner().scan(blob, gzip, "layer 1");
                assertThat(diffId.hex()).hasSize(64);
            } catch (ImageException e) {
                assertThat(e.code()).isIn(ImageError.CORRUPT_ARCHIVE, ImageError.UNSAFE_ENTRY);
                assertThat(e.getMessage()).startsWith("layer 1");
            }
        } finally {
            Files.deleteIfExists(blob);
        }
    }

    @AfterAll
    static void removeTheSandbox() throws IOException {
        deleteTree(SANDBOX);
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("kiln-image-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
