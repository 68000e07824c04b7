package dev.kiln.host.fn;

import dev.kiln.host.FunctionReply;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.SequencedMap;

/** Where slots come from: a microVM booted or taken from the pool, given the function's code and runtime. */
public interface SlotBackend {
    /** A new slot running {@code fn}; slow (a boot or a pool VM, a code upload, a runtime start). */
    Slot open(FunctionVersion fn);

    /**
     * The revisions of function {@code name} other than {@code keep} (all, when empty) will not be opened again:
     * what the backend keeps for them (snapshots) can go.
     */
    default void retired(String name, Optional<String> keep) {
    }

    /**
     * Whether cold starts of a revision ({@link FunctionVersion#key()}) are clones of a snapshot: {@code none},
     * {@code preparing} (its template slot is starting) or {@code ready}.
     */
    default String snapshotState(String key) {
        return "none";
    }

    /** One microVM dedicated to one function version. */
    interface Slot {
        /** The slot's VM, for status and logs. */
        String id();

        /** One invocation; the slot runs one at a time. Throws if the slot itself is gone. */
        FunctionReply invoke(byte[] event, Duration timeout);

        /**
         * How the slot's opening went, phase by phase in milliseconds, in order (for a microVM: network, VMM start,
         * kernel boot, agent ready, code ready, runtime started); empty when the backend does not know.
         */
        default SequencedMap<String, Long> openPhases() {
            return new LinkedHashMap<>();
        }

        /** Removes the slot's VM. */
        void close();
    }
}
