package dev.kiln.api.agent;

import java.util.Optional;

/**
 * A mount in a container. {@code BIND}: the guest path {@code source} at {@code target}. {@code TMPFS}: a fresh
 * tmpfs at {@code target} of at most {@code sizeBytes} (source is ignored).
 */
public record Mount(Type type, String source, String target, boolean readOnly, Optional<Long> sizeBytes) {
    public enum Type { BIND, TMPFS }

    public Mount {
        type = type == null ? Type.BIND : type;
        source = source == null ? "" : source;
        target = Wire.text(target, "mount target");
        sizeBytes = Wire.opt(sizeBytes);
    }

    public static Mount bind(String source, String target, boolean readOnly) {
        return new Mount(Type.BIND, source, target, readOnly, Optional.empty());
    }

    public static Mount tmpfs(String target, long sizeBytes) {
        return new Mount(Type.TMPFS, "", target, false, Optional.of(sizeBytes));
    }
}
