package dev.kiln.guest;

import java.util.Objects;

/**
 * A guest image another host has: {@link GuestImageBuilder#ensure(GuestImageOptions, java.util.List,
 * ProgressListener)} pulls it from there instead of building it, when it is the very image this host would build
 * (same digest, so the same inputs: kernel, modules, busybox, agent, JDK, runc).
 *
 * @param from   who has it, for messages (a host's name)
 * @param digest the image's digest
 * @param source where its files are read
 */
public record GuestImageOffer(String from, String digest, GuestImageSource source) {
    public GuestImageOffer {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(digest, "digest");
        Objects.requireNonNull(source, "source");
    }
}
