package dev.kiln.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The writers' lock of a store, across threads and processes. The OS lock ({@code flock}-like, via
 * {@link FileChannel#lock()}) is held per JVM, and a second attempt from another thread of the same JVM would
 * throw instead of waiting; so threads first queue on a JVM-wide lock per lock file.
 */
final class StoreLock implements AutoCloseable {
    private static final Map<Path, ReentrantLock> THREADS = new ConcurrentHashMap<>();

    private final ReentrantLock threadLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private StoreLock(ReentrantLock threadLock, FileChannel channel, FileLock fileLock) {
        this.threadLock = threadLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    static StoreLock acquire(Path lockFile) {
        ReentrantLock threadLock = THREADS.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
        threadLock.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new StoreLock(threadLock, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            close(channel);
            threadLock.unlock();
            throw new ImageException(ImageError.STORE_FAILED, "cannot lock the image store (" + lockFile + "): " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        } finally {
            close(channel);
            threadLock.unlock();
        }
    }

    private static void close(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
