package dev.kiln.cli;

import java.nio.file.Path;

/** A {@code --disk FILE[:ro|:rw]} value; the path is made absolute against the current directory. */
record DiskSpec(Path path, boolean readOnly) {
    static DiskSpec parse(String text, Path workingDir) {
        String file = text;
        boolean readOnly = false;
        if (text.endsWith(":ro") || text.endsWith(":rw")) {
            file = text.substring(0, text.length() - 3);
            readOnly = text.endsWith(":ro");
        }
        if (file.isBlank()) {
            throw new CliException("INVALID_SPEC", "'" + text + "' names no file",
                    "write FILE or FILE:ro, e.g. --disk data.img:ro", ExitCodes.USAGE);
        }
        return new DiskSpec(workingDir.resolve(file).toAbsolutePath().normalize(), readOnly);
    }
}
