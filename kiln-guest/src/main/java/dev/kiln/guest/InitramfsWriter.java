package dev.kiln.guest;

import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the initramfs: a gzip'd cpio "newc" archive with busybox, the kernel modules and their load order,
 * a /dev/console node (the kernel opens it for /init before anything is mounted), and the stage-1 /init.
 */
final class InitramfsWriter {
    private final OutputStream sink;
    private final CpioArchiveOutputStream cpio;
    private long nextInode = 1;

    private InitramfsWriter(OutputStream sink) {
        this.sink = sink;
        this.cpio = new CpioArchiveOutputStream(sink, CpioConstants.FORMAT_NEW, 512, StandardCharsets.US_ASCII.name());
    }

    static void write(Path target, Path busybox, List<KernelModule> modules, List<GuestLayout.GuestFileContent> files) {
        try (OutputStream out = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(target)), 1 << 16)) {
            var writer = new InitramfsWriter(out);
            writer.writeAll(busybox, modules, files);
        } catch (IOException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot write the initramfs " + target, e);
        }
    }

    private void writeAll(Path busybox, List<KernelModule> modules, List<GuestLayout.GuestFileContent> files)
            throws IOException {
        for (String dir : GuestLayout.INITRAMFS_DIRS) {
            directory(dir);
        }
        device("dev/console", 0600, 5, 1);
        file("bin/busybox", 0755, Files.readAllBytes(busybox));
        var order = new StringBuilder();
        for (KernelModule module : modules) {
            file("lib/modules/" + module.imageFileName(), 0644, Files.readAllBytes(module.file()));
            order.append(module.imageFileName()).append('\n');
        }
        file("lib/modules/" + GuestLayout.MODULE_ORDER_FILE, 0644, order.toString().getBytes(StandardCharsets.US_ASCII));
        for (GuestLayout.GuestFileContent content : files) {
            if (content.file().target() == GuestLayout.Target.INITRAMFS) {
                file(content.file().path(), content.file().mode(), content.bytes());
            }
        }
        cpio.finish();
        sink.flush();
    }

    private void directory(String name) throws IOException {
        CpioArchiveEntry entry = entry(name, CpioConstants.C_ISDIR | 0755, 0);
        entry.setNumberOfLinks(2);
        cpio.putArchiveEntry(entry);
        cpio.closeArchiveEntry();
    }

    private void device(String name, int permissions, int major, int minor) throws IOException {
        CpioArchiveEntry entry = entry(name, CpioConstants.C_ISCHR | permissions, 0);
        entry.setRemoteDeviceMaj(major);
        entry.setRemoteDeviceMin(minor);
        cpio.putArchiveEntry(entry);
        cpio.closeArchiveEntry();
    }

    private void file(String name, int permissions, byte[] bytes) throws IOException {
        cpio.putArchiveEntry(entry(name, CpioConstants.C_ISREG | permissions, bytes.length));
        cpio.write(bytes);
        cpio.closeArchiveEntry();
    }

    private CpioArchiveEntry entry(String name, int mode, long size) {
        var entry = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, name, size);
        entry.setMode(mode);
        entry.setInode(nextInode++);
        entry.setNumberOfLinks(1);
        entry.setUID(0);
        entry.setGID(0);
        entry.setTime(0);
        return entry;
    }
}
