package dev.kiln.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a kiln daemon in the background when none answers on a socket, for commands (like {@code kiln demo})
 * that need one. The daemon runs in its own session ({@code setsid}), so it outlives this process and a Ctrl-C in
 * this terminal; its stdout and stderr are appended to {@code STATE_DIR/daemon.log}, whose new lines are copied to
 * the progress stream while waiting for the daemon to answer (the first start builds the guest image).
 */
public final class DaemonLauncher {
    /** How long a daemon may take to answer: its first start builds the guest image. */
    public static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final int TAIL_LINES = 30;

    private final Path socket;
    private final Path stateDir;
    private final PrintStream progress;
    private final List<String> command;
    private final Duration timeout;
    private final Clock clock;

    DaemonLauncher(Path socket, Path stateDir, PrintStream progress, List<String> command, Duration timeout, Clock clock) {
        this.socket = socket;
        this.stateDir = stateDir;
        this.progress = progress;
        this.command = List.copyOf(command);
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * Makes sure a daemon answers {@code GET /v1/health} on {@code socket}, starting
     * {@code setsid JAVA -cp CLASSPATH dev.kiln.cli.Main --socket S --state-dir D daemon} if none does.
     *
     * @return whether this call started one (stop it with {@link DaemonClient#shutdown()} when done)
     * @throws CliException when the started daemon exits before it answers (the message holds its log's last
     *                      lines), or does not answer within {@link #START_TIMEOUT}
     */
    public static boolean ensureRunning(Path socket, Path stateDir, PrintStream progress) {
        return new DaemonLauncher(socket, stateDir, progress, daemonCommand(socket, stateDir), START_TIMEOUT,
                Clock.systemUTC()).ensureRunning();
    }

    /** The command line of a background daemon run by this JVM's java with this JVM's class path. */
    static List<String> daemonCommand(Path socket, Path stateDir) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        Tools.find("setsid", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"))
                .ifPresent(setsid -> cmd.add(setsid.toString()));
        cmd.addAll(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--socket", socket.toString(), "--state-dir", stateDir.toString(), "daemon"));
        return cmd;
    }

    boolean ensureRunning() {
        try (DaemonClient client = new DaemonClient(socket)) {
            try {
                client.health();
                return false;
            } catch (DaemonUnreachableException e) {
                // none runs: start one below
            }
            Path log = stateDir.resolve("daemon.log");
            Files.createDirectories(stateDir);
            LogFollower follower = new LogFollower(log, Files.exists(log) ? Files.size(log) : 0);
            progress.println("starting the kiln daemon (log: " + log + ")");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            Instant deadline = clock.instant().plus(timeout);
            while (true) {
                follower.copyNewLines(progress);
                if (answers(client)) {
                    follower.copyNewLines(progress);
                    progress.println("the kiln daemon is running (pid " + process.pid() + ", socket " + socket + ")");
                    return true;
                }
                if (!process.isAlive()) {
                    follower.copyNewLines(progress);
                    throw new CliException("DAEMON_START_FAILED", "the kiln daemon exited with code "
                            + process.exitValue() + " before it answered on " + socket + "; the end of " + log + ":\n"
                            + String.join("\n", follower.tail(TAIL_LINES)),
                            "fix what the log says, or run 'kiln daemon' in the foreground to watch it",
                            ExitCodes.DAEMON_UNREACHABLE);
                }
                if (clock.instant().isAfter(deadline)) {
                    process.destroy();
                    throw new CliException("TIMEOUT", "the kiln daemon did not answer on " + socket + " within "
                            + Durations.human(timeout) + "; it was stopped",
                            "see " + log + ", or run 'kiln daemon' in the foreground to watch it", ExitCodes.TIMEOUT);
                }
                process.waitFor(POLL.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (IOException e) {
            throw new CliException("HOST_ERROR", "cannot start the kiln daemon: " + e.getMessage(),
                    "check that " + stateDir + " is writable", ExitCodes.HOST, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("INTERRUPTED", "interrupted while starting the kiln daemon", "", ExitCodes.FAILURE, e);
        }
    }

    private static boolean answers(DaemonClient client) {
        try {
            client.health(Duration.ofSeconds(5));
            return true;
        } catch (CliException e) {
            return false;
        }
    }

    /** Copies whole lines appended to a file after an offset. */
    static final class LogFollower {
        private final Path file;
        private final long start;
        private long offset;
        private final StringBuilder partial = new StringBuilder();

        LogFollower(Path file, long offset) {
            this.file = file;
            this.start = offset;
            this.offset = offset;
        }

        void copyNewLines(PrintStream out) {
            if (!Files.exists(file)) return;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
                int n;
                while ((n = ch.read(buf, offset)) > 0) {
                    offset += n;
                    partial.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
                    buf.clear();
                }
            } catch (IOException e) {
                throw new CliException("HOST_ERROR", "cannot read " + file + ": " + e.getMessage(),
                        "check that the state directory is readable", ExitCodes.HOST, e);
            }
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                out.println(partial.substring(0, nl));
                partial.delete(0, nl + 1);
            }
            out.flush();
        }

        /** The last lines written since this follower started. */
        List<String> tail(int lines) {
            try {
                byte[] all = Files.readAllBytes(file);
                String since = new String(all, (int) Math.min(start, all.length), (int) Math.max(0, all.length - start),
                        StandardCharsets.UTF_8);
                List<String> l = since.lines().toList();
                return l.subList(Math.max(0, l.size() - lines), l.size());
            } catch (IOException e) {
                return List.of("(cannot read " + file + ": " + e.getMessage() + ")");
            }
        }
    }
}
