package dev.kiln.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one host tool of a build (mmdebstrap, jdeps, jlink, ldd) with a deadline, its output in a log file. A tool
 * that fails, or outlives the deadline (it is then killed with its children), is a {@link ImageError#BUILD_FAILED}
 * that quotes the command and the end of its output.
 */
final class HostCommand {
    private HostCommand() {
    }

    /** The tool's exit code and its output (stdout and stderr interleaved). */
    record Result(int exitCode, String output) {
    }

    /** Runs {@code command} and fails unless it exits with 0. */
    static String run(List<String> command, Path log, Duration timeout) {
        Result result = runAllowingFailure(command, log, timeout);
        if (result.exitCode() != 0) {
            throw new ImageException(ImageError.BUILD_FAILED, Path.of(command.getFirst()).getFileName() + " failed (exit "
                    + result.exitCode() + "): " + String.join(" ", command) + "\n" + tail(result.output()));
        }
        return result.output();
    }

    /** Runs {@code command} and returns however it ended, unless it could not start or ran out of time. */
    static Result runAllowingFailure(List<String> command, Path log, Duration timeout) {
        String tool = Path.of(command.getFirst()).getFileName().toString();
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new ImageException(ImageError.BUILD_FAILED, "cannot start " + tool + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new ImageException(ImageError.BUILD_FAILED, tool + " did not finish within " + timeout
                        + "; last output:\n" + tail(read(log)));
            }
        } catch (InterruptedException e) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new ImageException(ImageError.BUILD_FAILED, "interrupted while " + tool + " ran", e);
        } catch (IOException e) {
            process.destroyForcibly();
            throw new ImageException(ImageError.BUILD_FAILED, "cannot talk to " + tool + ": " + e.getMessage(), e);
        }
        return new Result(process.exitValue(), read(log));
    }

    private static String read(Path log) {
        try {
            return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no output)";
        }
    }

    /** The last 20 lines. */
    static String tail(String output) {
        List<String> lines = output.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }
}
