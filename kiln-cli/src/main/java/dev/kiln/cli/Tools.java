package dev.kiln.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds host programs: each entry of a PATH value, then the system directories (root's tools live in sbin). */
final class Tools {
    private static final String SYSTEM_DIRS = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private Tools() {
    }

    static Optional<Path> find(String name, String pathVariable) {
        return Stream.of((pathVariable + ":" + SYSTEM_DIRS).split(":"))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
    }
}
