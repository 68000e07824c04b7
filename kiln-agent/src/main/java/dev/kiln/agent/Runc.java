package dev.kiln.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.agent.AgentErrorCode;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The runc command line, with its own state root so the agent's containers are apart from any other runc user.
 * {@code runc run} stays in the foreground as the agent's child with the container's stdout and stderr going
 * straight to files (no copying by the agent), so runc's exit status is the container's exit code; {@code --keep}
 * leaves the stopped container (and its cgroup, with the OOM count) until the agent deletes it.
 */
final class Runc {
    private static final File DEV_NULL = new File("/dev/null");

    private final Path binary;
    private final Path root;

    Runc(Path binary, Path root) {
        this.binary = binary;
        this.root = root;
    }

    Path root() {
        return root;
    }

    private List<String> base() {
        return new ArrayList<>(List.of(binary.toString(), "--root", root.toString()));
    }

    /**
     * The shell around {@code runc run}: it records runc's exit status in a file ({@code $1}) before it exits with
     * it. Should the agent die, the shell lives on (re-parented to init), so the status still reaches the file.
     */
    private static final String EXIT_RECORDER =
            "x=$1; shift; \"$@\"; c=$?; echo \"$c\" > \"$x.part\" && mv -f \"$x.part\" \"$x\"; exit \"$c\"";

    /**
     * Starts {@code runc run} for a bundle (under a shell that writes its exit status to {@code exitFile}); the
     * process ends when the container does, and its status is the container's exit code.
     */
    Process run(String id, Path bundle, Path pidFile, Path log, Path stdout, Path stderr, Path exitFile) {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", EXIT_RECORDER, "kiln-run", exitFile.toString()));
        cmd.addAll(base());
        cmd.addAll(List.of("--log", log.toString(), "--log-format", "json", "run", "--keep", "--bundle",
                bundle.toString(), "--pid-file", pidFile.toString(), id));
        try {
            return new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(stderr.toFile()))
                    .start();
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot start " + binary + ": " + e.getMessage(),
                    "install runc in the guest image (or pass --runc PATH)", e);
        }
    }

    /**
     * Starts {@code runc exec} with piped output. {@code user} is numeric {@code uid[:gid]}; env entries are
     * added to the container's.
     */
    Process exec(String id, List<String> args, Map<String, String> env, Optional<String> cwd,
                 Optional<String> user, Path pidFile) {
        List<String> cmd = base();
        cmd.addAll(List.of("exec", "--pid-file", pidFile.toString()));
        env.forEach((k, v) -> cmd.addAll(List.of("--env", k + "=" + v)));
        cwd.ifPresent(c -> cmd.addAll(List.of("--cwd", c)));
        user.ifPresent(u -> cmd.addAll(List.of("--user", u)));
        cmd.add(id);
        cmd.addAll(args);
        try {
            return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start();
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot start runc exec: " + e.getMessage(), e);
        }
    }

    /** Sends a signal to the container's init ({@code TERM}, {@code KILL}); false when it is not running. */
    boolean kill(String id, String signal) {
        return call("kill", id, signal).exitCode() == 0;
    }

    /** Deletes the container's runc state and cgroup; {@code force} kills it first. Absent is fine. */
    void delete(String id, boolean force) {
        Result r = force ? call("delete", "--force", id) : call("delete", id);
        if (r.exitCode() != 0 && !r.output().contains("does not exist") && !r.output().contains("not exist")) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "runc delete " + id + " failed: " + r.output());
        }
    }

    /** The pid of the container's init when runc says it is running (or paused). */
    Optional<Long> runningPid(String id) {
        Result r = call("state", id);
        if (r.exitCode() != 0) {
            return Optional.empty();
        }
        try {
            JsonNode state = Json.mapper().readTree(r.output());
            String status = state.path("status").asText();
            long pid = state.path("pid").asLong(0);
            return (status.equals("running") || status.equals("paused")) && pid > 0 ? Optional.of(pid)
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The ids runc knows under this root. */
    List<String> list() {
        Result r = call("list", "-q");
        if (r.exitCode() != 0) {
            return List.of();
        }
        return r.output().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    /** {@code runc --version}'s first line, for the facts. */
    String version() {
        List<String> cmd = List.of(binary.toString(), "--version");
        return run(cmd).output().lines().findFirst().orElse("runc (unknown version)");
    }

    /** The last error runc logged (its JSON log), e.g. why the entrypoint could not be started. */
    static Optional<String> lastError(Path log) {
        try {
            if (!Files.exists(log)) {
                return Optional.empty();
            }
            Optional<String> last = Optional.empty();
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                try {
                    JsonNode node = Json.mapper().readTree(line);
                    String level = node.path("level").asText();
                    if (level.equals("error") || level.equals("fatal")) {
                        last = Optional.of(node.path("msg").asText());
                    }
                } catch (IOException e) {
                    // not JSON (a panic trace): skip
                }
            }
            return last;
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    record Result(int exitCode, String output) {
    }

    private Result call(String... args) {
        List<String> cmd = base();
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(DEV_NULL)).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AgentException(AgentErrorCode.TIMEOUT, String.join(" ", cmd) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), out.strip());
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot run " + cmd.getFirst() + ": "
                    + e.getMessage(), "install runc in the guest image (or pass --runc PATH)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "interrupted while running " + cmd, e);
        }
    }
}
