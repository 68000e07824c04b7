package dev.kiln.agent.function;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Starts a function's runtime with the Lambda environment. In a slot the runtime runs in a container (or directly on
 * the guest's JVM for Java); {@link ProcessLauncher} starts it as a plain process.
 */
public interface RuntimeLauncher {
    RuntimeProcess launch(Map<String, String> environment);

    /** A started runtime. */
    interface RuntimeProcess {
        /** Completes with the exit status when the runtime ends, however it ends. */
        CompletableFuture<Integer> onExit();

        /** Ends the runtime at once (SIGKILL) and waits for it. */
        void kill();

        /** The last few KB of what the runtime printed, for errors and {@code LogType: Tail}. */
        String outputTail();
    }
}
