package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** VM records on disk: what is written is read back, and records of older daemons still read. */
class VmStoreTest {
    private final ObjectMapper json = Json.mapper();

    @TempDir
    Path state;

    private static VmRecord record(String id, boolean hugePages) {
        return new VmRecord(id, "web", "qemu", 1, "256M", List.of(), Optional.empty(), Optional.empty(), "ktap-1234abcd",
                "06:00:00:00:00:01", "10.77.0.2", 24, "10.77.0.1", "kiln0", "token", Optional.empty(),
                Instant.parse("2026-11-24T06:00:00Z"), Optional.empty(), Optional.empty(), Optional.empty(), "booting",
                Optional.empty(), hugePages);
    }

    @Test
    void hugePagesAreKept() {
        VmStore store = new VmStore(state, json);
        store.save(record("3f9a1c2b7d40", true));
        store.save(record("3f9a1c2b7d41", false));
        assertThat(store.loadAll()).extracting(VmRecord::id, VmRecord::hugePages)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("3f9a1c2b7d40", true),
                        org.assertj.core.groups.Tuple.tuple("3f9a1c2b7d41", false));
    }

    @Test
    void aRecordWrittenBeforeHugePagesWereKeptReadsAsNormalPages() throws Exception {
        VmStore store = new VmStore(state, json);
        store.save(record("3f9a1c2b7d40", true));
        Path file = store.dirOf("3f9a1c2b7d40").resolve("vm.json");
        ObjectNode old = (ObjectNode) json.readTree(file.toFile());
        old.remove("hugePages");
        Files.writeString(file, json.writeValueAsString(old));
        assertThat(Files.readString(file)).doesNotContain("hugePages");

        List<VmRecord> read = store.loadAll();

        assertThat(read).hasSize(1);
        assertThat(read.getFirst().hugePages()).isFalse();
        assertThat(read.getFirst()).usingRecursiveComparison().ignoringFields("hugePages")
                .isEqualTo(record("3f9a1c2b7d40", true));
    }
}
