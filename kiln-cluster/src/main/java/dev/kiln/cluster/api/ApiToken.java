package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
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
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

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
        try {
            return Optional.of(of(Files.readString(file, StandardCharsets.UTF_8), file.toString()));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot read the API token in " + file + ": " + e,
                    "run kiln as root (the file is readable by root only), or set " + ENV);
        }
    }

    /** The token of the daemon whose state directory is {@code stateDir}: its {@value #FILE}, made first if absent. */
    public static ApiToken loadOrCreate(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        Optional<ApiToken> existing = read(file);
        if (existing.isPresent()) {
            existing.get().write(file); // again, so that the mode is 0600 whatever it was
            return existing.get();
        }
        ApiToken made = generate();
        made.write(file);
        return made;
    }

    /**
     * Writes the token to {@code file} with mode 0600: into a new file beside it, created with that mode, then moved
     * over the old one, so that no reader ever sees a partial token or a wider mode.
     */
    public void write(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.writeString(temp, value + "\n", StandardCharsets.UTF_8);
                Files.setPosixFilePermissions(temp, OWNER_ONLY);
                try {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot write the API token to " + file + ": " + e,
                    "check that the state directory is writable by the daemon (root)", e);
        }
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
