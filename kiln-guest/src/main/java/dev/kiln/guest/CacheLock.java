package dev.kiln.guest;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a cache directory across threads and processes.
 *
 * <p>An OS file lock belongs to the whole JVM: a second {@code FileChannel.lock()} on the same file from
 * another thread fails with {@code OverlappingFileLockException} instead of waiting. So threads first queue on
 * an in-process lock for the same file, and that registry must be JVM-wide for the same reason. It is the one
 * static state of this module, and it only maps lock files to lock objects.
 */
final class CacheLock implements AutoCloseable {
    private static final Map<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private CacheLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /** Waits for the lock. */
    static CacheLock acquire(Path lockFile) {
        ReentrantLock threadLock = threadLock(lockFile);
        threadLock.lock();
        return lockFile(lockFile, threadLock, true).orElseThrow();
    }

    /** Takes the lock if no other thread or process holds it, without waiting. */
    static Optional<CacheLock> tryAcquire(Path lockFile) {
        ReentrantLock threadLock = threadLock(lockFile);
        if (!threadLock.tryLock()) {
            return Optional.empty();
        }
        return lockFile(lockFile, threadLock, false);
    }

    private static ReentrantLock threadLock(Path lockFile) {
        return IN_PROCESS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), path -> new ReentrantLock());
    }

    /** Locks the file for a thread that holds {@code threadLock}; releases that unless the result holds it. */
    private static Optional<CacheLock> lockFile(Path lockFile, ReentrantLock threadLock, boolean wait) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock fileLock = wait ? channel.lock() : channel.tryLock();
            if (fileLock == null) {
                closeQuietly(channel);
                threadLock.unlock();
                return Optional.empty();
            }
            return Optional.of(new CacheLock(threadLock, channel, fileLock));
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            threadLock.unlock();
            throw new GuestException(GuestError.CACHE_FAILED, "cannot lock " + lockFile, e);
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException e) {
            // closing the channel below releases it as well
        } finally {
            closeQuietly(channel);
            threadLock.unlock();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
