package dev.kiln.guest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Checks the busybox binary and asks it for its applets. */
final class Busybox {
    private static final int PT_INTERP = 3;

    private Busybox() {
    }

    /** Returns the path when it is an executable, statically linked ELF file. */
    static Path checked(Path busybox) {
        if (!Files.isRegularFile(busybox)) {
            throw new GuestException(GuestError.BUSYBOX_NOT_FOUND, "busybox " + busybox + " does not exist");
        }
        if (!Files.isReadable(busybox) || !Files.isExecutable(busybox)) {
            throw new GuestException(GuestError.BUSYBOX_NOT_FOUND,
                    "busybox " + busybox + " is not a readable executable", "chmod 0755 " + busybox);
        }
        if (hasInterpreter(busybox)) {
            throw new GuestException(GuestError.BUSYBOX_NOT_FOUND,
                    "busybox " + busybox + " is dynamically linked; the guest has no C library");
        }
        return busybox;
    }

    /** Whether an ELF file names a program interpreter (that is, it is dynamically linked). */
    private static boolean hasInterpreter(Path file) {
        try (FileChannel channel = FileChannel.open(file)) {
            ByteBuffer ident = ByteBuffer.allocate(64);
            channel.read(ident, 0);
            byte[] b = ident.array();
            if (ident.position() < 52 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
                throw new GuestException(GuestError.BUSYBOX_NOT_FOUND, "busybox " + file + " is not an ELF executable");
            }
            boolean is64 = b[4] == 2;
            ident.order(b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
            long phoff = is64 ? ident.getLong(0x20) : Integer.toUnsignedLong(ident.getInt(0x1C));
            int phentsize = Short.toUnsignedInt(ident.getShort(is64 ? 0x36 : 0x2A));
            int phnum = Short.toUnsignedInt(ident.getShort(is64 ? 0x38 : 0x2C));
            if (phentsize < 4 || phnum == 0) {
                return false;
            }
            ByteBuffer headers = ByteBuffer.allocate(phentsize * phnum).order(ident.order());
            channel.read(headers, phoff);
            for (int i = 0; i < phnum; i++) {
                if (headers.getInt(i * phentsize) == PT_INTERP) {
                    return true;
                }
            }
            return false;
        } catch (IOException | IndexOutOfBoundsException e) {
            throw new GuestException(GuestError.BUSYBOX_NOT_FOUND, "cannot read busybox " + file + " as ELF", e);
        }
    }

    /** Applet paths relative to the root, e.g. {@code bin/sh}, {@code usr/sbin/httpd}, as busybox lists them. */
    static List<String> applets(Path busybox, Tools tools) {
        String out = tools.run(List.of(busybox.toString(), "--list-full"), "list busybox applets");
        return Arrays.stream(out.split("\n"))
                .map(String::strip)
                .map(line -> line.startsWith("/") ? line.substring(1) : line)
                .filter(line -> !line.isEmpty() && !line.contains("..") && !line.equals("bin/busybox"))
                .toList();
    }
}
