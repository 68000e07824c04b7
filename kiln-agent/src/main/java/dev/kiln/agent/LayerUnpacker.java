package dev.kiln.agent;

import java.io.InputStream;
import java.nio.file.Path;

/**
 * Applies one image layer (a tar, plain or gzip) onto a root directory with OCI whiteout semantics. See
 * {@link TarLayerUnpacker} for the rules about hostile entries.
 */
public interface LayerUnpacker {

    /** What one layer did to the root. */
    record Stats(int files, int directories, int symlinks, int hardlinks, int whiteouts, int skippedDevices) {
    }

    /** Applies {@code layer} onto {@code root}; throws {@link AgentException} (BAD_IMAGE, DISK_FULL). */
    Stats apply(InputStream layer, Path root);

    static LayerUnpacker create() {
        return new TarLayerUnpacker(Privileges.isRoot());
    }
}
