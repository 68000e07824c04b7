package dev.kiln.agent.function;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a runtime as a child process: {@code command} in {@code workDir}, output kept in a small tail. */
public final class ProcessLauncher implements RuntimeLauncher {
    private static final int TAIL_BYTES = 4096;
    private final List<String> command;
    private final Path workDir;

    public ProcessLauncher(List<String> command, Path workDir) {
        this.command = List.copyOf(command);
        this.workDir = workDir;
    }

    @Override
    public RuntimeProcess launch(Map<String, String> environment) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(environment);
        try {
            Process p = pb.start();
            Tail tail = new Tail();
            Thread.ofVirtual().name("runtime-output-" + p.pid()).start(() -> tail.drain(p.getInputStream()));
            return new Started(p, tail);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the runtime " + command + ": " + e.getMessage(), e);
        }
    }

    private record Started(Process process, Tail tail) implements RuntimeProcess {
        @Override
        public CompletableFuture<Integer> onExit() {
            return process.onExit().thenApply(Process::exitValue);
        }

        @Override
        public void kill() {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String outputTail() {
            return tail.text();
        }
    }

    /** The last {@link #TAIL_BYTES} bytes of a stream, echoed to this process's stderr as they come. */
    private static final class Tail {
        private final byte[] ring = new byte[TAIL_BYTES];
        private long written;

        void drain(InputStream in) {
            byte[] buf = new byte[1024];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    System.err.write(buf, 0, n);
                    synchronized (this) {
                        for (int i = 0; i < n; i++) {
                            ring[(int) (written++ % TAIL_BYTES)] = buf[i];
                        }
                    }
                }
            } catch (IOException e) {
                // the runtime ended
            }
        }

        synchronized String text() {
            int size = (int) Math.min(written, TAIL_BYTES);
            byte[] out = new byte[size];
            for (int i = 0; i < size; i++) {
                out[i] = ring[(int) ((written - size + i) % TAIL_BYTES)];
            }
            return new String(out, StandardCharsets.UTF_8);
        }
    }
}
