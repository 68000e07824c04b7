package dev.kiln.net;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The lease table persisted as {@code stateDir/net/leases.json}. Every read and change happens under an exclusive
 * {@link FileChannel#lock()} on {@code leases.lock} (so several processes can share the file) and an in-process
 * lock (a JVM cannot hold two file locks on one file). Writes go to a temp file that is forced to disk and renamed
 * over the old one, so a crash leaves either the old or the new table.
 */
final class LeaseStore {
    /** The file format. Unknown fields are rejected when read. */
    record LeaseFile(int version, String subnet, List<Lease> leases) {
        static final int VERSION = 1;
    }

    /** A change to the table and the value it yields. */
    record Change<T>(LeaseTable table, T value) {
    }

    private final Path dir;
    private final Path file;
    private final Path lockFile;
    private final Ipv4Cidr subnet;
    private final ObjectMapper json;
    private final ReentrantLock processLock = new ReentrantLock();

    LeaseStore(Path dir, Ipv4Cidr subnet, ObjectMapper json) {
        this.dir = dir;
        this.file = dir.resolve("leases.json");
        this.lockFile = dir.resolve("leases.lock");
        this.subnet = subnet;
        this.json = json;
    }

    Path file() {
        return file;
    }

    LeaseTable read() {
        return modify(table -> new Change<>(table, table));
    }

    /** Reads the table, applies {@code change}, and writes the result if it differs; returns the change's value. */
    <T> T modify(Function<LeaseTable, Change<T>> change) {
        processLock.lock();
        try {
            Files.createDirectories(dir);
            try (var channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock lock = channel.lock();
                try {
                    LeaseTable before = load();
                    Change<T> result = change.apply(before);
                    if (!result.table().equals(before)) {
                        store(result.table());
                    }
                    return result.value();
                } finally {
                    lock.release();
                }
            }
        } catch (OverlappingFileLockException e) {
            throw new NetException(NetError.STATE_ERROR, "the lease file " + file + " is locked by another part of"
                    + " this JVM", "open one HostNetwork per state directory", e);
        } catch (IOException e) {
            throw new NetException(NetError.STATE_ERROR, "cannot read or write " + file + ": " + e.getMessage(),
                    "check that the state directory exists, is writable by the daemon, and the disk is not full", e);
        } finally {
            processLock.unlock();
        }
    }

    /** Removes the lease file, its lock file and (if then empty) the directory. */
    void deleteFiles() {
        processLock.lock();
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(lockFile);
            if (Files.isDirectory(dir)) {
                try (var entries = Files.list(dir)) {
                    if (entries.findAny().isEmpty()) {
                        Files.delete(dir);
                    }
                }
            }
        } catch (IOException e) {
            throw new NetException(NetError.STATE_ERROR, "cannot delete " + file + ": " + e.getMessage(),
                    "delete it by hand", e);
        } finally {
            processLock.unlock();
        }
    }

    private LeaseTable load() throws IOException {
        if (!Files.exists(file)) {
            return LeaseTable.empty(subnet);
        }
        LeaseFile content;
        try {
            content = json.readValue(file.toFile(), LeaseFile.class);
        } catch (IOException e) {
            throw new NetException(NetError.STATE_ERROR, "the lease file " + file + " is not valid: "
                    + e.getMessage(), "fix or delete it (then sweep: kiln re-creates leases on attach)", e);
        }
        if (content.version() != LeaseFile.VERSION || !subnet.toString().equals(content.subnet())) {
            throw new NetException(NetError.STATE_ERROR, "the lease file " + file + " is version "
                    + content.version() + " for subnet " + content.subnet() + ", expected version "
                    + LeaseFile.VERSION + " for " + subnet,
                    "use the subnet the leases were made for, or tear the network down to start over");
        }
        return new LeaseTable(subnet, content.leases() == null ? List.of() : content.leases());
    }

    private void store(LeaseTable table) throws IOException {
        Path temp = Files.createTempFile(dir, "leases-", ".tmp");
        try {
            byte[] bytes = json.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(new LeaseFile(LeaseFile.VERSION, subnet.toString(), table.leases()));
            try (var out = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                out.write(ByteBuffer.wrap(bytes));
                out.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (var dirChannel = FileChannel.open(dir, StandardOpenOption.READ)) {
                dirChannel.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }
}
