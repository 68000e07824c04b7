package dev.kiln.host.fn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.api.SecretFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The access key that kiln's Lambda API accepts Signature Version 4 signatures from (what goes into
 * {@code ~/.aws/credentials}): an id like AWS's ({@code AKIA} and 16 more upper-case letters and digits) and a secret
 * of 240 random bits (40 characters of base64). A daemon keeps them in {@code STATE/}{@value #FILE}, mode 0600, as
 * {@code {"accessKeyId": ..., "secretAccessKey": ...}}; {@code kiln fn credentials} shows them.
 */
public record LambdaCredentials(String accessKeyId, String secretAccessKey) {
    /** The file's name in a daemon's state directory. */
    public static final String FILE = "lambda-credentials";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY_ID = Pattern.compile("[A-Z0-9]{16,128}");
    private static final String ID_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public LambdaCredentials {
        if (!KEY_ID.matcher(accessKeyId).matches()) {
            throw new IllegalArgumentException("an access key id is 16 to 128 upper-case letters and digits, not '"
                    + accessKeyId + "'");
        }
        if (secretAccessKey.length() < 16 || secretAccessKey.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a secret access key is at least 16 characters without white space");
        }
    }

    /** New credentials: a random id ({@code AKIA} + 16 characters, 80 bits) and a 240-bit secret. */
    public static LambdaCredentials generate() {
        StringBuilder id = new StringBuilder("AKIA");
        for (int i = 0; i < 16; i++) {
            id.append(ID_LETTERS.charAt(RANDOM.nextInt(ID_LETTERS.length())));
        }
        byte[] secret = new byte[30];
        RANDOM.nextBytes(secret);
        return new LambdaCredentials(id.toString(), Base64.getEncoder().encodeToString(secret));
    }

    /** The credentials in {@code file}, if it exists. */
    public static Optional<LambdaCredentials> read(Path file) {
        return SecretFile.read(file).map(text -> parse(text, file.toString()));
    }

    /** The credentials of the daemon whose state directory is {@code stateDir}, made first if absent. */
    public static LambdaCredentials loadOrCreate(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        LambdaCredentials c = read(file).orElseGet(LambdaCredentials::generate);
        c.write(file); // also when they existed, so that the mode is 0600 whatever it was
        return c;
    }

    /** Writes them to {@code file}, mode 0600. */
    public void write(Path file) {
        SecretFile.write(file, json() + "\n");
    }

    /** {@code {"accessKeyId": ..., "secretAccessKey": ...}}. */
    public String json() {
        ObjectNode n = JSON.createObjectNode().put("accessKeyId", accessKeyId).put("secretAccessKey", secretAccessKey);
        return n.toString();
    }

    /** Credentials from their JSON form; {@code from} names where it came from, for the error. */
    public static LambdaCredentials parse(String text, String from) {
        try {
            JsonNode n = JSON.readTree(text.getBytes(StandardCharsets.UTF_8));
            if (n == null || !n.path("accessKeyId").isTextual() || !n.path("secretAccessKey").isTextual()) {
                throw new IllegalArgumentException("expected {\"accessKeyId\": ..., \"secretAccessKey\": ...}");
            }
            return new LambdaCredentials(n.path("accessKeyId").asText(), n.path("secretAccessKey").asText());
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException(from + " does not hold kiln's Lambda credentials: " + e.getMessage()
                    + "; delete it to have the daemon make new ones", e);
        }
    }

    /** Whether {@code id} is this access key id, in time that does not depend on where they differ. */
    boolean isKey(String id) {
        return MessageDigest.isEqual(SigV4.sha256(accessKeyId.getBytes(StandardCharsets.UTF_8)),
                SigV4.sha256(id.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public String toString() {
        return "LambdaCredentials[accessKeyId=" + accessKeyId + ", secretAccessKey not shown]";
    }
}
