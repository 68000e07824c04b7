package dev.kiln.guest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A built, cached guest image: everything QEMU needs to boot a kiln guest.
 *
 * @param digest        hex sha256 over every input of the image; also the name of its cache directory
 * @param kernel        the kernel to pass with {@code -kernel} (a copy kept in the cache)
 * @param initrd        the gzip'd cpio initramfs to pass with {@code -initrd}
 * @param rootfs        the ext4 root filesystem image; attach it read-only as the first virtio disk (/dev/vda)
 * @param kernelVersion the kernel release, as {@code uname -r} reports it inside the guest
 * @param agent         whether the image holds the guest agent (and runc): its guests answer on
 *                      {@code AgentProtocol}'s port once booted
 */
public record GuestImage(String digest, Path kernel, Path initrd, Path rootfs, String kernelVersion, boolean agent) {
    public GuestImage {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(initrd, "initrd");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
    }

    /** The cache directory that holds this image's files. */
    public Path directory() {
        return rootfs.getParent();
    }

    /**
     * Records that this image is in use now, so that the cache's pruning (see {@code GuestImagePruner}) keeps it. A
     * process that uses the image for long (the daemon) calls it now and then; failures are ignored here, as the
     * image was marked when it was ensured.
     */
    public void markUsed() {
        new GuestImagePruner(directory().getParent(), GuestCacheRetention.defaults(), java.time.Clock.systemUTC())
                .markUsed(directory(), ProgressListener.silent());
    }
}
