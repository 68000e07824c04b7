package dev.kiln.guest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What one cached guest image holds, as one host tells another that wants to pull it: the image's identity (its
 * digest, which is the sha256 of its {@code inputs.txt}), the layout format and kernel release it was built with,
 * and each of its files with its size and sha256. The puller checks every file against it.
 *
 * @param digest        the image's digest (64 lowercase hex characters)
 * @param formatVersion {@code GuestLayout}'s format version of the kiln that built it
 * @param kernelVersion the release of the kernel in it
 * @param agent         whether it holds the guest agent
 * @param files         every file of the image, in {@link #FILES} order
 */
public record GuestImageListing(String digest, int formatVersion, String kernelVersion, boolean agent,
                                List<File> files) {
    /** The files an image consists of; nothing else is served or installed. */
    public static final List<String> FILES = List.of(CachingGuestImageBuilder.KERNEL_FILE,
            CachingGuestImageBuilder.INITRD_FILE, CachingGuestImageBuilder.ROOTFS_FILE,
            CachingGuestImageBuilder.INPUTS_FILE, CachingGuestImageBuilder.MANIFEST_FILE);
    private static final Pattern DIGEST = Pattern.compile("[0-9a-f]{64}");

    /** One file of an image. */
    public record File(String name, long size, String sha256) {
        public File {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(sha256, "sha256");
        }
    }

    public GuestImageListing {
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(kernelVersion, "kernelVersion");
        files = List.copyOf(files);
    }

    /** Whether {@code digest} has the form of an image digest (so it is safe as a directory name, too). */
    public static boolean isDigest(String digest) {
        return digest != null && DIGEST.matcher(digest).matches();
    }

    /**
     * Describes the complete image {@code digest} in {@code cacheDir/guest/}, hashing its files (a second or so for
     * the root file system).
     *
     * @throws GuestException CACHE_FAILED when there is no complete image of that digest or a file cannot be read
     */
    public static GuestImageListing read(Path cacheDir, String digest) {
        if (!isDigest(digest)) {
            throw new GuestException(GuestError.CACHE_FAILED, "'" + digest + "' is not a guest image digest");
        }
        Path dir = cacheDir.toAbsolutePath().resolve("guest").resolve(digest);
        try {
            JsonNode manifest = new ObjectMapper().readTree(dir.resolve(CachingGuestImageBuilder.MANIFEST_FILE).toFile());
            List<File> files = new ArrayList<>();
            for (String name : FILES) {
                Path file = dir.resolve(name);
                if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new GuestException(GuestError.CACHE_FAILED, "guest image " + digest + " has no " + name);
                }
                try (InputStream in = Files.newInputStream(file)) {
                    MessageDigest sha = sha256();
                    long size;
                    try (DigestInputStream din = new DigestInputStream(in, sha)) {
                        size = din.transferTo(java.io.OutputStream.nullOutputStream());
                    }
                    files.add(new File(name, size, HexFormat.of().formatHex(sha.digest())));
                }
            }
            return new GuestImageListing(digest, manifest.path("formatVersion").asInt(),
                    manifest.path("kernelVersion").asText(""), manifest.path("agent").asBoolean(), files);
        } catch (IOException e) {
            throw new GuestException(GuestError.CACHE_FAILED, "cannot read guest image " + digest + " in " + dir, e);
        }
    }

    /** The problems that make this listing unusable for image {@code digest} here; empty when it is fine. */
    List<String> problems(String expectedDigest) {
        List<String> problems = new ArrayList<>();
        if (!digest.equals(expectedDigest)) {
            problems.add("it describes image " + digest + ", not " + expectedDigest);
        }
        if (formatVersion != GuestLayout.FORMAT_VERSION) {
            problems.add("its format is " + formatVersion + ", this kiln's is " + GuestLayout.FORMAT_VERSION);
        }
        List<String> names = files.stream().map(File::name).toList();
        if (!names.equals(FILES)) {
            problems.add("its files are " + names + ", not " + FILES);
        }
        for (File f : files) {
            if (f.size() < 0 || !isDigest(f.sha256())) {
                problems.add("file " + f.name() + " has size " + f.size() + " and sha256 '" + f.sha256() + "'");
            }
        }
        return problems;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
