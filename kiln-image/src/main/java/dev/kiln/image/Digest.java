package dev.kiln.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A content digest, {@code sha256:<64 lower-case hex>}: the only algorithm kiln accepts. */
public record Digest(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    public Digest {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new ImageException(ImageError.INVALID_REFERENCE, "not a sha256 digest: " + hex,
                    "a digest is sha256: followed by 64 lower-case hex digits");
        }
    }

    /** Parses {@code sha256:<hex>}; any other algorithm or shape is an {@link ImageError#INVALID_REFERENCE}. */
    @com.fasterxml.jackson.annotation.JsonCreator
    public static Digest parse(String text) {
        if (text == null || !text.startsWith("sha256:")) {
            throw new ImageException(ImageError.INVALID_REFERENCE, "not a sha256 digest: " + text,
                    "a digest is sha256: followed by 64 lower-case hex digits");
        }
        return new Digest(text.substring("sha256:".length()));
    }

    /** Whether {@code text} is a well-formed {@code sha256:<hex>} digest. */
    public static boolean isDigest(String text) {
        return text != null && text.startsWith("sha256:") && HEX.matcher(text.substring(7)).matches();
    }

    public static Digest of(byte[] bytes) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(bytes)));
    }

    public static Digest of(Path file) {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return fromDigest(md);
    }

    static Digest fromDigest(MessageDigest md) {
        return new Digest(HexFormat.of().formatHex(md.digest()));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** The first 12 hex digits, as {@code kiln image ls} shows ids. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    /** As JSON, a digest is its text form {@code sha256:<hex>}, as the OCI specs write it. */
    @com.fasterxml.jackson.annotation.JsonValue
    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
