package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference inside one registry: {@code name[:tag][@sha256:digest]}, e.g. {@code library/busybox:1.36}.
 * The registry itself is named apart (its base URL), so a reference has no host part.
 */
record ImageRef(String name, String tag, Optional<Digest> digest) {
    private static final Pattern NAME =
            Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    static ImageRef parse(String text) {
        String rest = text.trim();
        Optional<Digest> digest = Optional.empty();
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Optional.of(Digest.parse(rest.substring(at + 1)));
            rest = rest.substring(0, at);
        }
        String tag = "latest";
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (!NAME.matcher(rest).matches() || rest.length() > 255) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid image name '" + rest + "' in '" + text + "'",
                    "use lower-case repository names like library/busybox:1.36, without the registry host "
                            + "(give the registry's base URL in 'registry')");
        }
        if (!TAG.matcher(tag).matches()) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid tag '" + tag + "' in '" + text + "'");
        }
        return new ImageRef(rest, tag, digest);
    }

    /** What to put after {@code /manifests/}: the digest when there is one, else the tag. */
    String manifestReference() {
        return digest.map(Digest::toString).orElse(tag);
    }

    @Override
    public String toString() {
        return name + ":" + tag + digest.map(d -> "@" + d).orElse("");
    }
}
