package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Unpacked image roots, one per manifest digest, under {@code <state>/images/<hex>/rootfs}. A root is built in a
 * temporary directory and renamed into place when every layer is applied, so a failed unpack (a hostile layer,
 * a full disk) leaves nothing behind; a present root is a complete one and is shared read-only by containers.
 */
final class ImageStore {
    private static final String COMPLETE = "complete";

    private final Path dir;
    private final LayerUnpacker unpacker;
    private final ImagePuller puller;
    private final ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    ImageStore(Path stateDir, LayerUnpacker unpacker, ImagePuller puller) {
        this.dir = stateDir.resolve("images");
        this.unpacker = unpacker;
        this.puller = puller;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot create " + dir);
        }
    }

    /** The unpacked root of an image, unpacking its layers first if this guest has not yet done so. */
    Path rootfs(ImagePuller.PulledImage image) {
        String hex = Digest.parse(image.digest()).hex();
        Path home = dir.resolve(hex);
        ReentrantLock lock = locks.computeIfAbsent(hex, k -> new ReentrantLock());
        lock.lock();
        try {
            if (Files.exists(home.resolve(COMPLETE))) {
                return home.resolve("rootfs");
            }
            Disk.deleteQuietly(home); // an interrupted earlier attempt
            Path building = dir.resolve(".tmp-" + hex + "-" + UUID.randomUUID());
            try {
                Files.createDirectories(building.resolve("rootfs"));
                for (ImagePuller.Layer layer : image.layers()) {
                    try (InputStream in = Files.newInputStream(puller.blob(layer.digest()))) {
                        unpacker.apply(in, building.resolve("rootfs"));
                    }
                }
                Files.writeString(building.resolve(COMPLETE), image.digest());
                Files.move(building, home, StandardCopyOption.ATOMIC_MOVE);
                return home.resolve("rootfs");
            } catch (IOException e) {
                throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot unpack " + image.reference());
            } finally {
                Disk.deleteQuietly(building);
            }
        } finally {
            lock.unlock();
        }
    }
}
