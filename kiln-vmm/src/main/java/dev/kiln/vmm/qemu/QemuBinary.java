package dev.kiln.vmm.qemu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds qemu-system-x86_64: a chain of probes (explicit path, then each PATH entry, then /usr/bin). */
public final class QemuBinary {
    public static final String NAME = "qemu-system-x86_64";

    private QemuBinary() {}

    public static Optional<Path> find(Optional<Path> explicit, String pathVariable) {
        if (explicit.isPresent()) {
            return explicit.filter(Files::isExecutable);
        }
        return Stream.concat(Stream.of(pathVariable.split(":")), Stream.of("/usr/bin", "/usr/local/bin"))
                .filter(s -> !s.isBlank())
                .map(s -> Path.of(s, NAME))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The version line QEMU prints, e.g. "QEMU emulator version 7.2.22". */
    public static Optional<String> version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            p.waitFor();
            return out.lines().findFirst();
        } catch (Exception e) {
            return Optional.empty();
        }
    }
}
