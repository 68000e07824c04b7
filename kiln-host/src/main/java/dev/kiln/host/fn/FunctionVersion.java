package dev.kiln.host.fn;

import dev.kiln.api.agent.FunctionSetup;
import java.util.Optional;

/**
 * One version of a function as the slots run it: its setup (runtime, handler, memory, timeout, environment), its
 * code (a zip), its reserved concurrency (the most slots it may have at once; empty: the host's limit) and its
 * revision (which changes with every update of code or configuration, so that no slot runs stale code).
 */
public record FunctionVersion(FunctionSetup setup, byte[] code, Optional<Integer> reservedConcurrency,
                              String revision) {
    public FunctionVersion {
        code = code.clone();
    }

    /** A version whose revision is its setup's version. */
    public FunctionVersion(FunctionSetup setup, byte[] code, Optional<Integer> reservedConcurrency) {
        this(setup, code, reservedConcurrency, setup.version());
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    /** The key slots are kept under: name and revision (a slot runs one revision of code and configuration). */
    public String key() {
        return setup.name() + ":" + revision;
    }
}
