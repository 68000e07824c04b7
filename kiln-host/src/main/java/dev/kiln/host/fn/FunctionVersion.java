package dev.kiln.host.fn;

import dev.kiln.api.agent.FunctionSetup;
import java.util.Optional;

/**
 * One version of a function as the slots run it: its setup (runtime, handler, memory, timeout, environment), its
 * code (a zip) and its reserved concurrency (the most slots it may have at once; empty: the host's limit).
 */
public record FunctionVersion(FunctionSetup setup, byte[] code, Optional<Integer> reservedConcurrency) {
    public FunctionVersion {
        code = code.clone();
    }

    @Override
    public byte[] code() {
        return code.clone();
    }

    /** The key slots are kept under: name and version. */
    public String key() {
        return setup.name() + ":" + setup.version();
    }
}
