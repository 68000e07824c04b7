package dev.kiln.guest;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Builds the ext4 root filesystem image without mounting anything: stage the tree in a directory, then
 * {@code mke2fs -d} copies it into a new image file.
 */
final class RootfsBuilder {
    private static final Path BUSYBOX_IN_GUEST = Path.of("/bin/busybox");

    private final Tools tools;

    RootfsBuilder(Tools tools) {
        this.tools = tools;
    }

    /** Adds more to the staged tree before the image is made (the guest agent). */
    @FunctionalInterface
    interface Extra {
        void stage(Path root) throws IOException;
    }

    void build(Path image, Path staging, Path busybox, List<GuestLayout.GuestFileContent> files, Extra extra) {
        Path mke2fs = tools.find("mke2fs", GuestError.TOOL_MISSING.defaultHint());
        List<String> applets = Busybox.applets(busybox, tools);
        try {
            stage(staging, busybox, applets, files);
            extra.stage(staging);
            long sizeKib = sizeFor(staging) >> 10;
            tools.run(List.of(mke2fs.toString(), "-q", "-F", "-t", "ext4", "-d", staging.toString(),
                    "-L", GuestProtocol.ROOTFS_LABEL, "-E", "root_owner=0:0", image.toString(), sizeKib + "k"),
                    "create the root filesystem image");
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot stage the root filesystem in " + staging, e);
        }
    }

    private static void stage(Path root, Path busybox, List<String> applets, List<GuestLayout.GuestFileContent> files)
            throws IOException {
        for (String dir : GuestLayout.ROOTFS_DIRS) {
            directory(root.resolve(dir));
        }
        for (var link : GuestLayout.ROOTFS_LINKS.entrySet()) {
            Files.createSymbolicLink(root.resolve(link.getKey()), Path.of(link.getValue()));
        }
        Path busyboxCopy = root.resolve("bin/busybox");
        Files.copy(busybox, busyboxCopy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(busyboxCopy, permissions(0755));
        for (GuestLayout.GuestFileContent content : files) {
            if (content.file().target() == GuestLayout.Target.ROOTFS) {
                Path target = root.resolve(content.file().path());
                directory(target.getParent());
                Files.write(target, content.bytes());
                Files.setPosixFilePermissions(target, permissions(content.file().mode()));
            }
        }
        for (String applet : applets) {
            Path link = root.resolve(applet).normalize();
            if (!link.startsWith(root) || link.equals(root)) {
                continue;
            }
            directory(link.getParent());
            try {
                Files.createSymbolicLink(link, BUSYBOX_IN_GUEST);
            } catch (FileAlreadyExistsException e) {
                // a file of ours, or an applet listed twice: keep what is there
            }
        }
    }

    /**
     * Content plus room for the ext4 metadata and journal; at least {@link GuestLayout#MIN_ROOTFS_BYTES}. Symbolic
     * links are not followed: the applet links would count busybox hundreds of times.
     */
    private static long sizeFor(Path staging) throws IOException {
        long content;
        try (Stream<Path> paths = Files.walk(staging)) {
            content = paths.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new GuestException(GuestError.BUILD_FAILED, "cannot stat " + p, e);
                }
            }).sum();
        }
        long wanted = Math.max(GuestLayout.MIN_ROOTFS_BYTES, content + content / 4 + (32L << 20));
        long mib = 1L << 20;
        return (wanted + mib - 1) / mib * mib;
    }

    private static void directory(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, permissions(0755));
    }

    /** The nine rwx permission bits of a mode as a set. */
    static Set<PosixFilePermission> permissions(int mode) {
        var result = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = {
                PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (1 << i)) != 0) {
                result.add(bits[i]);
            }
        }
        return result;
    }
}
