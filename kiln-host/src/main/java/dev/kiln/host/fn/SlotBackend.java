package dev.kiln.host.fn;

import dev.kiln.host.FunctionReply;
import java.time.Duration;

/** Where slots come from: a microVM booted or taken from the pool, given the function's code and runtime. */
public interface SlotBackend {
    /** A new slot running {@code fn}; slow (a boot or a pool VM, a code upload, a runtime start). */
    Slot open(FunctionVersion fn);

    /** One microVM dedicated to one function version. */
    interface Slot {
        /** The slot's VM, for status and logs. */
        String id();

        /** One invocation; the slot runs one at a time. Throws if the slot itself is gone. */
        FunctionReply invoke(byte[] event, Duration timeout);

        /** Removes the slot's VM. */
        void close();
    }
}
