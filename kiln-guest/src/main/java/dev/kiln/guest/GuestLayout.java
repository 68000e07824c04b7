package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** What goes into a guest image: the one place that lists its modules, scripts and directories. */
final class GuestLayout {
    /** Bump whenever the code changes what an image contains, so that old cache entries are not reused. */
    static final int FORMAT_VERSION = 4;

    /**
     * Modules the guest loads, as roots of the dependency walk. crc32c_generic is listed because ext4 asks the
     * crypto API for crc32c at mount time, which modules.dep does not record (and the guest has no modprobe).
     * overlay gives each container a writable layer over its image's shared, unpacked root; veth lets the agent
     * give a container its own network namespace; ipvlan gives each cluster pod its own address on the VM's NIC.
     */
    static final List<String> MODULES = List.of(
            "virtio_mmio", "virtio_blk", "virtio_net", "ext4", "crc32c_generic", "button", "evdev", "overlay", "veth", "ipvlan");

    /** Name of the load-order file, in the initramfs at {@code lib/modules/}. */
    static final String MODULE_ORDER_FILE = "kiln.order";

    static final long MIN_ROOTFS_BYTES = 64L << 20;

    /** Empty directories of the root filesystem (mount points and the like). */
    static final List<String> ROOTFS_DIRS = List.of(
            "bin", "sbin", "usr/bin", "usr/sbin", "etc", "etc/acpi", "etc/acpi/PWRF", "www", "www/cgi-bin",
            "mnt", "run", "tmp", "proc", "sys", "dev", "var", "var/lib", "var/lib/kiln", "opt", "root");

    /**
     * Symbolic links of the root filesystem (path → target). {@code /var/run} is {@code /run}, a tmpfs, as on any
     * Linux: iproute2 keeps the pods' network namespaces in {@code /var/run/netns}, and the root is read-only.
     */
    static final java.util.Map<String, String> ROOTFS_LINKS = java.util.Map.of("var/run", "/run");

    /** Directories of the initramfs. */
    static final List<String> INITRAMFS_DIRS = List.of("bin", "dev", "proc", "sys", "newroot", "lib", "lib/modules");

    enum Target { INITRAMFS, ROOTFS }

    /** A file of the image that comes from a resource of this package. */
    record GuestFile(String resource, Target target, String path, int mode) {
    }

    /** A {@link GuestFile} with its bytes. */
    record GuestFileContent(GuestFile file, byte[] bytes) {
    }

    static final List<GuestFile> FILES = List.of(
            new GuestFile("stage1-init.sh", Target.INITRAMFS, "init", 0755),
            new GuestFile("kiln-init.sh", Target.ROOTFS, "sbin/kiln-init", 0755),
            new GuestFile("acpi-power-button.sh", Target.ROOTFS, "etc/acpi/PWRF/00000080", 0755),
            new GuestFile("cgi-health.sh", Target.ROOTFS, "www/cgi-bin/health", 0755),
            new GuestFile("cgi-exec.sh", Target.ROOTFS, "www/cgi-bin/exec", 0755),
            new GuestFile("etc-passwd", Target.ROOTFS, "etc/passwd", 0644),
            new GuestFile("etc-group", Target.ROOTFS, "etc/group", 0644),
            new GuestFile("etc-hostname", Target.ROOTFS, "etc/hostname", 0644),
            new GuestFile("etc-hosts", Target.ROOTFS, "etc/hosts", 0644));

    private GuestLayout() {
    }

    /** Every file of {@link #FILES} with its bytes, read from the class path. */
    static List<GuestFileContent> loadFiles() {
        return FILES.stream().map(GuestLayout::load).toList();
    }

    private static GuestFileContent load(GuestFile file) {
        try (InputStream in = GuestLayout.class.getResourceAsStream(file.resource())) {
            if (in == null) {
                throw new GuestException(GuestError.BUILD_FAILED,
                        "guest resource " + file.resource() + " is missing from the kiln-guest jar",
                        "rebuild kiln; the installation is incomplete");
            }
            return new GuestFileContent(file, in.readAllBytes());
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot read guest resource " + file.resource(), e);
        }
    }
}
