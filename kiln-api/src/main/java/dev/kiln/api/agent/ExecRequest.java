package dev.kiln.api.agent;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A command to run in a running container ({@code runc exec}). It inherits the container's environment, working
 * directory and user unless given here.
 *
 * @param timeout killed (SIGKILL) after this long; empty: the agent's default
 */
public record ExecRequest(List<String> args, Map<String, String> env, Optional<String> workdir,
                          Optional<String> user, Optional<Duration> timeout) {
    public ExecRequest {
        args = Wire.list(args);
        env = Wire.map(env);
        workdir = Wire.opt(workdir);
        user = Wire.opt(user);
        timeout = Wire.opt(timeout);
    }

    public static ExecRequest of(String... args) {
        return new ExecRequest(List.of(args), Map.of(), Optional.empty(), Optional.empty(), Optional.empty());
    }
}
