package dev.kiln.image;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a user can name an image by. Repository names are normalized as Docker does, so that {@code hello},
 * {@code library/hello} and {@code docker.io/library/hello} are one repository, shown as {@code hello}:
 * a first component with a dot or colon, or {@code localhost}, is a registry host; {@code docker.io} and
 * {@code index.docker.io} are dropped; then a two-component {@code library/x} becomes {@code x}.
 */
public sealed interface ImageRef {
    String DEFAULT_TAG = "latest";

    /** {@code repository:tag}; the canonical form is stored as the {@code org.opencontainers.image.ref.name} annotation. */
    record Tagged(String repository, String tag) implements ImageRef {
        public Tagged {
            repository = normalizeRepository(repository);
            if (tag == null || !TAG.matcher(tag).matches()) {
                throw invalid(repository + ":" + tag, "a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -");
            }
        }

        @Override
        public String toString() {
            return repository + ":" + tag;
        }
    }

    /** {@code sha256:<hex>} or {@code repository@sha256:<hex>}: a manifest digest or an image id in full. */
    record ByDigest(Optional<String> repository, Digest digest) implements ImageRef {
        public ByDigest {
            repository = repository.map(ImageRef::normalizeRepository);
        }

        @Override
        public String toString() {
            return repository.map(r -> r + "@").orElse("") + digest;
        }
    }

    /**
     * Four to 64 hex digits: a prefix of an image id (config digest) or manifest digest. Since such a string is
     * also a valid repository name, a tag {@code <hex>:latest} wins when it exists.
     */
    record IdPrefix(String hex) implements ImageRef {
        public IdPrefix {
            if (hex == null || !ID_PREFIX.matcher(hex).matches()) {
                throw invalid(String.valueOf(hex), "an id prefix is 4 to 64 lower-case hex digits");
            }
        }

        @Override
        public String toString() {
            return hex;
        }
    }

    Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
    Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    Pattern DOMAIN = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?");
    Pattern ID_PREFIX = Pattern.compile("[0-9a-f]{4,64}");

    /** Parses what a user typed: {@code hello}, {@code hello:1.0}, {@code library/hello@sha256:...}, {@code sha256:...}, {@code 3f2a9c}. */
    static ImageRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw invalid("", "name an image");
        }
        String s = text.strip();
        if (Digest.isDigest(s)) {
            return new ByDigest(Optional.empty(), Digest.parse(s));
        }
        int at = s.indexOf('@');
        if (at >= 0) {
            String digest = s.substring(at + 1);
            if (!Digest.isDigest(digest)) {
                throw invalid(s, "after @ comes sha256:<64 hex digits>");
            }
            String name = s.substring(0, at);
            return new ByDigest(Optional.of(stripTag(name)), Digest.parse(digest));
        }
        if (ID_PREFIX.matcher(s).matches()) {
            return new IdPrefix(s);
        }
        return parseTagged(s);
    }

    /** Parses {@code repository[:tag]} (tag defaults to {@code latest}); digests are not accepted here. */
    static Tagged parseTagged(String text) {
        if (text == null || text.isBlank()) {
            throw invalid("", "name an image as name[:tag]");
        }
        String s = text.strip();
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        if (colon > slash) {
            return new Tagged(s.substring(0, colon), s.substring(colon + 1));
        }
        return new Tagged(s, DEFAULT_TAG);
    }

    /** The canonical repository name, or an {@link ImageError#INVALID_REFERENCE} naming what is wrong. */
    static String normalizeRepository(String name) {
        if (name == null || name.isEmpty() || name.length() > 255) {
            throw invalid(String.valueOf(name), "a repository name is 1 to 255 characters");
        }
        List<String> parts = new ArrayList<>(List.of(name.split("/", -1)));
        String domain = "";
        if (parts.size() > 1 && (parts.get(0).contains(".") || parts.get(0).contains(":") || parts.get(0).equals("localhost"))) {
            domain = parts.remove(0);
            if (!DOMAIN.matcher(domain).matches()) {
                throw invalid(name, "'" + domain + "' is not a registry host name");
            }
        }
        for (String part : parts) {
            if (!COMPONENT.matcher(part).matches()) {
                throw invalid(name, "'" + part + "' is not a valid name component (lower-case letters, digits, and . _ - between them)");
            }
        }
        if (domain.equals("docker.io") || domain.equals("index.docker.io")) {
            domain = "";
        }
        if (domain.isEmpty() && parts.size() == 2 && parts.get(0).equals("library")) {
            parts.remove(0);
        }
        String path = String.join("/", parts);
        return domain.isEmpty() ? path : domain + "/" + path;
    }

    private static String stripTag(String name) {
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        return colon > slash ? name.substring(0, colon) : name;
    }

    private static ImageException invalid(String text, String why) {
        return new ImageException(ImageError.INVALID_REFERENCE, "invalid image reference '" + text + "': " + why);
    }
}
