package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What a kernel file is, told from its first bytes. Firecracker on x86_64 boots an uncompressed ELF {@code vmlinux}
 * ({@code docs/rootfs-and-kernel-setup.md}: "Firecracker supports only uncompressed, ELF kernel images"); distribution
 * kernels ship a compressed {@code bzImage}, which it cannot load.
 */
public enum KernelImageKind {
    /** Starts with the ELF magic {@code 0x7F 'E' 'L' 'F'}. */
    ELF_VMLINUX,
    /** Carries the x86 boot protocol header: {@code "HdrS"} at offset {@code 0x202}. */
    BZIMAGE,
    /** Neither. */
    UNKNOWN;

    private static final byte[] ELF_MAGIC = {0x7F, 'E', 'L', 'F'};
    private static final byte[] HDRS = {'H', 'd', 'r', 'S'};
    private static final int HDRS_OFFSET = 0x202;
    private static final int HEAD = HDRS_OFFSET + HDRS.length;

    /** Reads at most the first {@value #HEAD} bytes of {@code kernel}. */
    public static KernelImageKind of(Path kernel) {
        Objects.requireNonNull(kernel, "kernel");
        byte[] head;
        try (InputStream in = Files.newInputStream(kernel)) {
            head = in.readNBytes(HEAD);
        } catch (NoSuchFileException e) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, "kernel " + kernel + " does not exist",
                    "check the kernel path in the VM spec", e);
        } catch (IOException e) {
            throw new VmmException(VmmError.FILE_NOT_FOUND, "kernel " + kernel + " cannot be read: " + e.getMessage(),
                    "make the kernel a regular file readable by kiln", e);
        }
        return of(head);
    }

    /** Classifies the first bytes of a kernel file. */
    static KernelImageKind of(byte[] head) {
        if (startsWith(head, 0, ELF_MAGIC)) {
            return ELF_VMLINUX;
        }
        if (startsWith(head, HDRS_OFFSET, HDRS)) {
            return BZIMAGE;
        }
        return UNKNOWN;
    }

    /** Returns {@code kernel} if it is an ELF vmlinux; otherwise says what it is and how to get a vmlinux. */
    public static Path requireVmlinux(Path kernel) {
        return switch (of(kernel)) {
            case ELF_VMLINUX -> kernel;
            case BZIMAGE -> throw new VmmException(VmmError.INVALID_SPEC,
                    "kernel " + kernel + " is a bzImage where Firecracker needs an uncompressed vmlinux",
                    VMLINUX_HINT);
            case UNKNOWN -> throw new VmmException(VmmError.INVALID_SPEC,
                    "kernel " + kernel + " is neither an ELF vmlinux nor a bzImage", VMLINUX_HINT);
        };
    }

    static final String VMLINUX_HINT = "build one with 'make vmlinux' from Firecracker's recommended guest config"
            + " (resources/guest_configs in firecracker-microvm/firecracker), or extract it from a bzImage with the"
            + " kernel's scripts/extract-vmlinux <bzImage> > vmlinux";

    private static boolean startsWith(byte[] data, int offset, byte[] prefix) {
        if (data.length < offset + prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (data[offset + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
