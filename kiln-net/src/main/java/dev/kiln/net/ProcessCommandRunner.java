package dev.kiln.net;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs commands with {@link ProcessBuilder}, reading stdout and stderr concurrently. */
final class ProcessCommandRunner implements CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessCommandRunner.class);

    private final Duration timeout;

    ProcessCommandRunner(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public CommandResult run(List<String> argv, String stdin) {
        LOG.debug("run: {}", argv);
        Process process;
        try {
            process = new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw new NetException(NetError.TOOL_MISSING, "cannot start '" + argv.getFirst() + "': " + e.getMessage(),
                    Hints.installHint(argv.getFirst()), argv, "");
        }
        CompletableFuture<String> stdout = drain(process.getInputStream());
        CompletableFuture<String> stderr = drain(process.getErrorStream());
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            LOG.debug("stdin of {} closed early: {}", argv, e.getMessage());
        }
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                throw new NetException(NetError.COMMAND_TIMEOUT, "command did not finish within " + timeout,
                        "the kernel or the tool is stuck; check dmesg and retry", argv, "");
            }
            var result = new CommandResult(argv, process.exitValue(), stdout.get(timeout.toNanos(),
                    TimeUnit.NANOSECONDS), stderr.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
            LOG.debug("exit {}: {}", result.exitCode(), argv);
            return result;
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new NetException(NetError.COMMAND_FAILED, "interrupted while running a command",
                    "the caller was interrupted; retry", argv, "");
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new NetException(NetError.COMMAND_FAILED, "cannot read the output of a command: " + e,
                    "retry; if it persists, run the command by hand", argv, "");
        }
    }

    private static CompletableFuture<String> drain(InputStream stream) {
        var future = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try (stream) {
                var buffer = new ByteArrayOutputStream();
                stream.transferTo(buffer);
                future.complete(buffer.toString(StandardCharsets.UTF_8));
            } catch (IOException | UncheckedIOException e) {
                future.completeExceptionally(e);
            }
        });
        return future;
    }
}
