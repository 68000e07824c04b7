package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest {@code sha256:<64 hex>}; the only algorithm OCI images use in practice. */
record Digest(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    Digest {
        if (!HEX.matcher(hex).matches()) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "not a sha256 digest: " + hex);
        }
    }

    static Digest parse(String text) {
        if (text == null || !text.startsWith("sha256:")) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "unsupported digest (only sha256): " + text);
        }
        return new Digest(text.substring("sha256:".length()));
    }

    static Digest of(byte[] content) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(content)));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AgentException(AgentErrorCode.INTERNAL, "this JVM has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
