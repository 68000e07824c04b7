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
