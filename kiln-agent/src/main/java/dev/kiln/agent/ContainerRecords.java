package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The files in a bundle that outlive the agent: {@code container.json} (the {@link ContainerRecord}, replaced
 * atomically on every change of state) and {@code exit} (the exit status of the last run, written by the shell
 * that wraps {@code runc run}, so it is known even when the agent was not running when the container ended).
 */
final class ContainerRecords {
    static final String RECORD = "container.json";
    static final String EXIT = "exit";

    private ContainerRecords() {
    }

    /** Writes the record; a failure (a full disk) is logged, not thrown: the container itself is unaffected. */
    static void save(Container c) {
        Path target = c.bundle.resolve(RECORD);
        Path part = c.bundle.resolve(RECORD + ".part");
        try {
            Files.write(part, Json.mapper().writeValueAsBytes(c.record()));
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("kiln-agent: cannot save " + target + " (a restarted agent will not know this "
                    + "container's latest state): " + e.getMessage());
        }
    }

    /** The record in {@code bundle}; empty when it is missing or unreadable (a container not fully created). */
    static Optional<ContainerRecord> load(Path bundle) {
        Path file = bundle.resolve(RECORD);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.mapper().readValue(file.toFile(), ContainerRecord.class));
        } catch (IOException e) {
            System.err.println("kiln-agent: ignoring unreadable " + file + ": " + e.getMessage());
            return Optional.empty();
        }
    }

    /** The exit status the wrapper shell wrote for the last run, if that run has ended. */
    static OptionalInt exitStatus(Path bundle) {
        try {
            return OptionalInt.of(Integer.parseInt(Files.readString(bundle.resolve(EXIT)).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    static void clearExitStatus(Path bundle) throws IOException {
        Files.deleteIfExists(bundle.resolve(EXIT));
    }
}
