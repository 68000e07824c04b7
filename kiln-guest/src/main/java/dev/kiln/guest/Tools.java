package dev.kiln.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Finds host tools and runs them with a time limit. */
final class Tools {
    private final HostLayout host;

    Tools(HostLayout host) {
        this.host = host;
    }

    /** The first executable of that name on the tool path. */
    Path find(String name, String hint) {
        for (Path dir : host.toolPath()) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new GuestException(GuestError.TOOL_MISSING, name + " not found in " + host.toolPath(), hint);
    }

    /** Runs a command and returns its stdout and stderr; a failure, a non-zero exit or a timeout throws. */
    String run(List<String> command, String what) {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        } catch (IOException e) {
            throw new GuestException(GuestError.TOOL_MISSING, "cannot " + what + ": cannot start " + command.getFirst(), e);
        }
        try {
            CompletableFuture<byte[]> output = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()),
                    Thread::startVirtualThread);
            if (!process.waitFor(host.toolTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new GuestException(GuestError.BUILD_FAILED,
                        "cannot " + what + ": " + command.getFirst() + " did not finish within " + host.toolTimeout());
            }
            String text = new String(output.get(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new GuestException(GuestError.BUILD_FAILED, "cannot " + what + ": " + String.join(" ", command)
                        + " exited with " + process.exitValue() + ": " + text.strip());
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException(GuestError.BUILD_FAILED, "interrupted while waiting to " + what, e);
        } catch (ExecutionException e) {
            throw new GuestException(GuestError.BUILD_FAILED, "cannot " + what + ": cannot read tool output", e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            var out = new ByteArrayOutputStream();
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
