package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;

/** Another place that holds guest images (another host of the cluster): what {@link GuestImageOffer} pulls from. */
public interface GuestImageSource {
    /** What image {@code digest} holds there ({@link GuestImageListing#read} on the other side). */
    GuestImageListing listing(String digest) throws IOException, InterruptedException;

    /** One file of image {@code digest}, one of {@link GuestImageListing#FILES}. */
    InputStream open(String digest, String file) throws IOException, InterruptedException;
}
