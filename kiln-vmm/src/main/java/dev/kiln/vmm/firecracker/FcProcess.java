package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.ProcStat;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One Firecracker process as the driver sees it: one kiln started (its child, whose exit status it learns) or one it
 * re-found after an agent restart (watched by polling /proc, its status unknown).
 */
interface FcProcess {
    long pid();

    /** Field 22 of /proc/PID/stat when the process started: with the pid, it names this process and no other. */
    long startTicks();

    /** Completes when the process has ended, with its exit status (128+N for signal N) when kiln was its parent. */
    CompletableFuture<Optional<Integer>> exit();

    boolean isAlive();

    /** SIGKILL; returns at once. */
    void kill();

    /** Stops watching the process (the agent goes away); the process itself is left alone. */
    default void release() {}

    /** A process kiln started. */
    static FcProcess child(Process p) {
        return new Child(p, ProcStat.startTicks(p.pid()).orElse(0L));
    }

    /** A process kiln did not start (or started before an agent restart), watched every {@code poll}. */
    static FcProcess adopted(long pid, long startTicks, Duration poll) {
        return new Adopted(pid, startTicks, poll);
    }

    /** A process known to be gone already (found so at recovery). */
    static FcProcess ended(long pid) {
        return new Ended(pid);
    }

    record Ended(long pid) implements FcProcess {
        @Override
        public long startTicks() {
            return 0;
        }

        @Override
        public CompletableFuture<Optional<Integer>> exit() {
            return CompletableFuture.completedFuture(Optional.empty());
        }

        @Override
        public boolean isAlive() {
            return false;
        }

        @Override
        public void kill() {}
    }

    final class Child implements FcProcess {
        private final Process process;
        private final long ticks;
        private final CompletableFuture<Optional<Integer>> exit;

        private Child(Process process, long ticks) {
            this.process = process;
            this.ticks = ticks;
            this.exit = process.onExit().thenApply(p -> Optional.of(p.exitValue()));
        }

        @Override
        public long pid() {
            return process.pid();
        }

        @Override
        public long startTicks() {
            return ticks;
        }

        @Override
        public CompletableFuture<Optional<Integer>> exit() {
            return exit;
        }

        @Override
        public boolean isAlive() {
            return process.isAlive();
        }

        @Override
        public void kill() {
            process.destroyForcibly();
        }
    }

    final class Adopted implements FcProcess {
        private final long pid;
        private final long ticks;
        private final CompletableFuture<Optional<Integer>> exit = new CompletableFuture<>();
        private volatile boolean released;

        private Adopted(long pid, long ticks, Duration poll) {
            this.pid = pid;
            this.ticks = ticks;
            Thread.ofVirtual().name("fc-watch-" + pid).start(() -> {
                while (isAlive()) {
                    if (released) {
                        return;
                    }
                    try {
                        Thread.sleep(poll);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                exit.complete(Optional.empty());
            });
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public long startTicks() {
            return ticks;
        }

        @Override
        public CompletableFuture<Optional<Integer>> exit() {
            return exit;
        }

        /** Alive and still the same process: a reused pid counts as gone. */
        @Override
        public boolean isAlive() {
            return ProcStat.isAlive(pid) && ProcStat.startTicks(pid).map(t -> t == ticks).orElse(false);
        }

        @Override
        public void release() {
            released = true;
        }

        @Override
        public void kill() {
            if (isAlive()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }
}
