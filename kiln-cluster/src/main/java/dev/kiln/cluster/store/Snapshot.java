package dev.kiln.cluster.store;

import java.util.List;

/**
 * The entries under a prefix and the store revision at which they were read. Watch from {@code revision + 1} to see
 * every later change and nothing twice.
 *
 * @param entries  the entries, sorted by key (byte order of the UTF-8 key, as etcd sorts)
 * @param revision the store revision of the read
 */
public record Snapshot(List<KeyValue> entries, long revision) {
    public Snapshot {
        entries = List.copyOf(entries);
    }
}
