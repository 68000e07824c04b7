package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ExecRequest;
import dev.kiln.api.agent.ExecResult;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs one {@code runc exec} and captures its output up to a cap, killing it at its timeout. */
final class Exec {
    private Exec() {
    }

    /** Output of one stream: the first {@code cap} bytes, and whether more were dropped. */
    record Captured(byte[] bytes, boolean truncated) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static ExecResult run(Runc runc, Container c, ExecRequest request, Duration timeout, long cap,
                          ExecutorService threads, Clock clock) {
        if (request.args().isEmpty()) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "exec needs at least one argument");
        }
        request.workdir().filter(w -> !w.startsWith("/")).ifPresent(w -> {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "exec workdir must be absolute: " + w);
        });
        Optional<String> user = request.user().map(u -> {
            Users.Resolved r = c.users.resolve(u);
            return r.uid() + ":" + r.gid();
        });
        Path pidFile = c.bundle.resolve("exec-" + Long.toHexString(System.nanoTime()) + ".pid");
        Instant start = clock.instant();
        Process p = runc.exec(c.id, request.args(), request.env(), request.workdir(), user, pidFile);
        try {
            Future<Captured> out = threads.submit(() -> capture(p.getInputStream(), cap));
            Future<Captured> err = threads.submit(() -> capture(p.getErrorStream(), cap));
            boolean timedOut = !p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (timedOut) {
                killExecProcess(pidFile);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            Captured o = out.get(10, TimeUnit.SECONDS);
            Captured e = err.get(10, TimeUnit.SECONDS);
            int code = p.isAlive() ? -1 : p.exitValue();
            return new ExecResult(timedOut ? 137 : code, o.text(), e.text(), o.truncated(), e.truncated(), timedOut,
                    Duration.between(start, clock.instant()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "interrupted during exec", e);
        } catch (ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot read the output of exec: " + e, e);
        } finally {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                System.err.println("kiln-agent: cannot remove " + pidFile + ": " + e);
            }
        }
    }

    /** The exec'd process is runc's grandchild inside the container: kill it by the pid runc wrote. */
    private static void killExecProcess(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        } catch (IOException | NumberFormatException e) {
            // not started yet: killing runc is enough
        }
    }

    static Captured capture(InputStream in, long cap) throws IOException {
        var kept = new ByteArrayOutputStream();
        boolean truncated = false;
        byte[] buf = new byte[8192];
        int n;
        try (in) {
            while ((n = in.read(buf)) > 0) {
                long room = cap - kept.size();
                if (room > 0) {
                    kept.write(buf, 0, (int) Math.min(room, n));
                }
                if (n > room) {
                    truncated = true; // keep draining so the process does not block on a full pipe
                }
            }
        }
        return new Captured(kept.toByteArray(), truncated);
    }
}
