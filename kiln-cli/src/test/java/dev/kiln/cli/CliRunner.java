package dev.kiln.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Runs kiln command lines in-process, capturing stdout, stderr and the exit code. */
final class CliRunner {
    static final Instant NOW = Instant.parse("2026-11-23T03:05:00Z");

    record Result(int exitCode, String out, String err) {
    }

    private CliRunner() {
    }

    static Result run(Path socket, String... args) {
        List<String> all = new ArrayList<>(List.of("--socket", socket.toString()));
        all.addAll(List.of(args));
        return run(all.toArray(String[]::new));
    }

    /** A command line that keeps running (a watch, a follow) in a thread of its own; its output grows meanwhile. */
    static final class Running {
        private final StringWriter out = new StringWriter();
        private final StringWriter err = new StringWriter();
        private final java.util.concurrent.CompletableFuture<Integer> exit = new java.util.concurrent.CompletableFuture<>();
        private final Thread thread;

        private Running(String... args) {
            thread = Thread.ofPlatform().name("kiln-cli-test").start(() -> {
                try (Main main = new Main(Clock.fixed(NOW, ZoneOffset.UTC), new Terminal(false))) {
                    CommandLine cl = main.commandLine();
                    cl.setOut(new PrintWriter(out, true));
                    cl.setErr(new PrintWriter(err, true));
                    exit.complete(cl.execute(args));
                } catch (RuntimeException e) {
                    exit.completeExceptionally(e);
                }
            });
        }

        /** What it printed so far (StringWriter's buffer is synchronized). */
        String out() {
            return out.toString();
        }

        /** Whether the command returned by itself. */
        boolean ended() {
            return exit.isDone();
        }

        /** Waits for the command to return by itself (at most {@code timeout}). */
        Result await(java.time.Duration timeout) {
            try {
                int code = exit.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                return new Result(code, out.toString(), err.toString());
            } catch (Exception e) {
                throw new AssertionError("the command did not end within " + timeout + "; it printed: " + out, e);
            }
        }

        /** Interrupts it, as Ctrl-C would, and waits for it to return. */
        Result stop() {
            thread.interrupt();
            return await(java.time.Duration.ofSeconds(10));
        }
    }

    static Running start(String... args) {
        return new Running(args);
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        try (Main main = new Main(Clock.fixed(NOW, ZoneOffset.UTC), new Terminal(false))) {
            CommandLine cl = main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int code = cl.execute(args);
            return new Result(code, out.toString(), err.toString());
        }
    }
}
