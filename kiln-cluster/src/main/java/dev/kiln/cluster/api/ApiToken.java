package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The bearer token of kiln's API over TCP (the cluster API and, beside it, the Lambda API): 256 random bits from
 * {@link SecureRandom}, written as 43 characters of unpadded base64url. A daemon keeps it in
 * {@code STATE/}{@value #FILE} (mode 0600); the CLI reads it from there, or from {@code KILN_API_TOKEN}. Clients send
 * {@code Authorization: Bearer <token>}; {@link #matches} compares in constant time.
 */
public final class ApiToken {
    /** The token's file name in a daemon's state directory. */
    public static final String FILE = "api-token";
    /** The environment variable that gives the CLI a token instead of the state directory's file. */
    public static final String ENV = "KILN_API_TOKEN";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern FORM = Pattern.compile("[A-Za-z0-9_\\-.~+/=]{32,512}");

    private final String value;
    private final byte[] digest;

    private ApiToken(String value) {
        this.value = value;
        this.digest = sha256(value);
    }

    /** A new token: 256 random bits. */
    public static ApiToken generate() {
        byte[] bits = new byte[32];
        RANDOM.nextBytes(bits);
        return new ApiToken(Base64.getUrlEncoder().withoutPadding().encodeToString(bits));
    }

    /**
     * A token given as text (a file's content, an environment variable); surrounding white space is dropped.
     *
     * @throws ClusterException INVALID when it is shorter than 32 characters or has characters a token never has
     */
    public static ApiToken of(String text, String from) {
        String t = text.strip();
        if (!FORM.matcher(t).matches()) {
            throw new ClusterException(ClusterError.INVALID, "the API token from " + from + " is not a kiln token ("
                    + (t.length() < 32 ? "it has " + t.length() + " characters, a token at least 32" : "it has "
                    + "characters other than letters, digits and -_.~+/=") + ")",
                    "use the content of STATE/" + FILE + " of a running daemon, or unset " + ENV);
        }
        return new ApiToken(t);
    }

    /** The token in {@code file}, if the file exists. */
    public static Optional<ApiToken> read(Path file) {
        return SecretFile.read(file).map(text -> of(text, file.toString()));
    }

    /** The token of the daemon whose state directory is {@code stateDir}: its {@value #FILE}, made first if absent. */
    public static ApiToken loadOrCreate(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        ApiToken token = read(file).orElseGet(ApiToken::generate);
        token.write(file); // also when it existed, so that its mode is 0600 whatever it was
        return token;
    }

    /** Writes the token to {@code file}, mode 0600 ({@link SecretFile}). */
    public void write(Path file) {
        SecretFile.write(file, value + "\n");
    }

    /** The token's text, for a client's {@code Authorization} header. */
    public String value() {
        return value;
    }

    /** {@code Bearer <token>}. */
    public String header() {
        return "Bearer " + value;
    }

    /** Whether {@code presented} is this token, in time that does not depend on where they differ. */
    public boolean matches(String presented) {
        return MessageDigest.isEqual(digest, sha256(presented));
    }

    /**
     * Whether an {@code Authorization} header carries this token ({@code Bearer <token>}; the scheme in any case).
     */
    public boolean authorizes(Optional<String> authorization) {
        return authorization.flatMap(ApiToken::bearer).map(this::matches).orElse(false);
    }

    /** The token of a {@code Bearer} header, if it is one. */
    public static Optional<String> bearer(String authorization) {
        String a = authorization.strip();
        return a.regionMatches(true, 0, "Bearer ", 0, 7) ? Optional.of(a.substring(7).strip()) : Optional.empty();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[" + value.length() + " characters, not shown]";
    }
}
