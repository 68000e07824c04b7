package dev.kiln.guest;

import java.nio.file.Path;

/**
 * One kernel module to put into the initramfs.
 *
 * @param name         the module name, e.g. {@code virtio_ring}
 * @param relativePath its path inside the modules directory, as modules.dep names it
 * @param file         the module file on the host
 */
record KernelModule(String name, String relativePath, Path file) {
    /** The file name inside the initramfs' {@code lib/modules/}. */
    String imageFileName() {
        return name + ".ko";
    }
}
