package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether this process runs as root (then file owners from images are applied). */
final class Privileges {
    private static final boolean ROOT = probe();

    private Privileges() {
    }

    static boolean isRoot() {
        return ROOT;
    }

    private static boolean probe() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
