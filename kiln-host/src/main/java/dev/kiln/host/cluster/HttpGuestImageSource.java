package dev.kiln.host.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.api.ApiToken;
import dev.kiln.guest.GuestImageListing;
import dev.kiln.guest.GuestImageSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

/** Another host's guest images, read from its cluster API ({@link GuestImageHandler}) with the cluster's token. */
final class HttpGuestImageSource implements GuestImageSource {
    /** A listing is a few hundred bytes; anything much bigger is not one. */
    private static final int MAX_LISTING = 64 * 1024;
    private static final Duration TIMEOUT = Duration.ofMinutes(5);

    private final URI api;
    private final Supplier<ApiToken> token;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    /** @param api the other host's cluster API, e.g. {@code http://172.30.0.11:7070} */
    HttpGuestImageSource(URI api, Supplier<ApiToken> token) {
        this.api = api;
        this.token = token;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    }

    @Override
    public GuestImageListing listing(String digest) throws IOException, InterruptedException {
        check(digest);
        HttpResponse<InputStream> r = get(GuestImageHandler.PREFIX + digest);
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(MAX_LISTING + 1);
            if (r.statusCode() != 200) {
                throw new IOException(api + " answered " + r.statusCode() + ": "
                        + new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8));
            }
            if (body.length > MAX_LISTING) {
                throw new IOException(api + " sent a listing of more than " + MAX_LISTING + " bytes");
            }
            return json.readValue(body, GuestImageListing.class);
        }
    }

    @Override
    public InputStream open(String digest, String file) throws IOException, InterruptedException {
        check(digest);
        if (!GuestImageListing.FILES.contains(file)) {
            throw new IllegalArgumentException("not a guest image file: " + file);
        }
        HttpResponse<InputStream> r = get(GuestImageHandler.PREFIX + digest + "/" + file);
        if (r.statusCode() != 200) {
            try (InputStream in = r.body()) {
                byte[] body = in.readNBytes(300);
                throw new IOException(api + " answered " + r.statusCode() + " for " + file + ": "
                        + new String(body, StandardCharsets.UTF_8));
            }
        }
        return r.body();
    }

    private HttpResponse<InputStream> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(api.resolve(path)).timeout(TIMEOUT)
                .header("Authorization", "Bearer " + token.get().value()).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    private static void check(String digest) {
        if (!GuestImageListing.isDigest(digest)) {
            throw new IllegalArgumentException("not a guest image digest: " + digest);
        }
    }

    @Override
    public String toString() {
        return api.toString();
    }
}
