package dev.kiln.cluster.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One key as the store holds it, with etcd's bookkeeping.
 *
 * @param key            the key (UTF-8 in etcd)
 * @param value          the value; the record keeps and hands out copies, so it stays immutable
 * @param createRevision the store revision at which the key was (last) created
 * @param modRevision    the store revision of its last change; the token for optimistic concurrency
 * @param version        how many times the key was written since it was created (1 after create)
 * @param lease          the lease the key is attached to, 0 for none
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version, long lease) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        value = Objects.requireNonNull(value, "value").clone();
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value decoded as UTF-8, for text values (JSON, YAML). */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue other
                && key.equals(other.key)
                && Arrays.equals(value, other.value)
                && createRevision == other.createRevision
                && modRevision == other.modRevision
                && version == other.version
                && lease == other.lease;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version, lease);
    }

    @Override
    public String toString() {
        return "KeyValue[key=" + key + ", value=" + value.length + " bytes, createRevision=" + createRevision
                + ", modRevision=" + modRevision + ", version=" + version + ", lease=" + lease + "]";
    }
}
