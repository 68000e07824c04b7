package dev.kiln.cluster.store;

import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link Watch} reports: a key was written, a key was deleted, or the watch cannot go on and the watcher must
 * list again ({@link Relist}). Events arrive in revision order, each exactly once.
 */
public sealed interface WatchEvent {

    /**
     * A key was created or changed.
     *
     * @param entry the key as it is after the change; its {@code modRevision} is the change's revision
     */
    record Put(KeyValue entry) implements WatchEvent {
        public Put {
            Objects.requireNonNull(entry, "entry");
        }

        public String key() {
            return entry.key();
        }

        public byte[] value() {
            return entry.value();
        }

        public long modRevision() {
            return entry.modRevision();
        }
    }

    /**
     * A key was deleted (explicitly, or because its lease ended).
     *
     * @param key         the deleted key
     * @param modRevision the revision of the deletion
     * @param previous    the key as it was before the deletion, when the store still has it
     */
    record Delete(String key, long modRevision, Optional<KeyValue> previous) implements WatchEvent {
        public Delete {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(previous, "previous");
        }
    }

    /**
     * The watch has ended and cannot be resumed, usually because the revisions it needed were compacted away. The
     * watcher should list the prefix again and open a new watch from the list's revision + 1. No event follows this
     * one on the same watch.
     *
     * @param reason what happened, for the log
     */
    record Relist(String reason) implements WatchEvent {
        public Relist {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
