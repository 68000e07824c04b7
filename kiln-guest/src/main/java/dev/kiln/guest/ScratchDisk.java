package dev.kiln.guest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A VM's scratch disk: a sparse file with an empty ext4 filesystem labelled {@link GuestProtocol#SCRATCH_LABEL},
 * which the guest mounts at {@link GuestProtocol#SCRATCH_MOUNT} when the kernel command line names it
 * ({@link GuestProtocol#CMDLINE_SCRATCH}). The guest agent keeps image layers and containers' writable layers on
 * it. Only the blocks the guest writes take space on the host.
 */
public final class ScratchDisk {
    /** The smallest scratch disk worth having (ext4's journal and metadata take a few MiB). */
    public static final long MIN_BYTES = 64L << 20;

    private ScratchDisk() {
    }

    /**
     * Creates the file (which must not exist) and its filesystem. On failure the file is removed.
     *
     * @throws GuestException when mke2fs is missing or fails, or the file cannot be made (a full disk, say)
     */
    public static void create(Path file, long bytes) {
        if (bytes < MIN_BYTES) {
            throw new GuestException(GuestError.BUILD_FAILED, "a scratch disk of " + bytes + " bytes is too small",
                    "give at least " + (MIN_BYTES >> 20) + " MiB");
        }
        Tools tools = new Tools(HostLayout.system());
        Path mke2fs = tools.find("mke2fs", GuestError.TOOL_MISSING.defaultHint());
        boolean done = false;
        try {
            try (var channel = Files.newByteChannel(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.position(bytes - 1);
                channel.write(java.nio.ByteBuffer.wrap(new byte[1]));
            }
            // lazy init: mke2fs writes only the metadata it needs now; the guest kernel finishes the rest lazily
            tools.run(List.of(mke2fs.toString(), "-q", "-F", "-t", "ext4", "-L", GuestProtocol.SCRATCH_LABEL, "-m", "0",
                    "-E", "lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0", file.toString()),
                    "make the scratch disk's filesystem");
            done = true;
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot create the scratch disk " + file + ": " + e.getMessage(), e);
        } finally {
            if (!done) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // best effort; the caller removes the VM's directory as well
                }
            }
        }
    }
}
