package dev.kiln.host.cluster;

import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.api.ClusterApiServer;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.guest.GuestImageListing;
import dev.kiln.guest.GuestImageOffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A host's guest images served on its cluster API ({@link GuestImageHandler}, behind the token) and read by another
 * host ({@link HttpGuestImageSource}); which Hosts a joining host asks ({@link PeerGuestImages#offers}). The pull
 * itself (checks, sparse copy, fall back to a build) is {@code GuestImageBuilderTest}'s, with a real image.
 */
class PeerGuestImagesTest {
    private static final String DIGEST = "ab".repeat(32);
    private static final ApiToken TOKEN = ApiToken.generate();

    @TempDir
    static Path cache;
    static ClusterApiServer server;
    static URI api;

    @BeforeAll
    static void serve() throws IOException {
        Path dir = Files.createDirectories(cache.resolve("guest").resolve(DIGEST));
        Files.write(dir.resolve("vmlinuz"), new byte[]{1, 2, 3});
        Files.write(dir.resolve("initrd.img"), new byte[]{4, 5});
        Files.write(dir.resolve("rootfs.ext4"), new byte[70_000]);
        Files.writeString(dir.resolve("inputs.txt"), "format 3\n");
        Files.writeString(dir.resolve("image.json"), "{\"formatVersion\":3,\"digest\":\"" + DIGEST
                + "\",\"kernelVersion\":\"6.1.0-test\",\"agent\":true}");
        Clock clock = Clock.systemUTC();
        server = ClusterApiServer.start(new ResourceStore(KvStore.memory(clock), clock), "127.0.0.1", 0,
                Optional.empty(), List.of(new ClusterApiServer.Mount(GuestImageHandler.PREFIX,
                        new GuestImageHandler(cache))), TOKEN);
        api = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void anotherHostReadsTheListingAndEveryFileWithTheToken() throws Exception {
        var source = new HttpGuestImageSource(api, () -> TOKEN);
        GuestImageListing listing = source.listing(DIGEST);
        assertThat(listing).isEqualTo(GuestImageListing.read(cache, DIGEST));
        assertThat(listing.kernelVersion()).isEqualTo("6.1.0-test");
        assertThat(listing.files()).extracting(GuestImageListing.File::name).isEqualTo(GuestImageListing.FILES);
        assertThat(listing.files().get(2).size()).isEqualTo(70_000);
        for (String file : GuestImageListing.FILES) {
            try (InputStream in = source.open(DIGEST, file)) {
                assertThat(in.readAllBytes()).as(file)
                        .isEqualTo(Files.readAllBytes(cache.resolve("guest").resolve(DIGEST).resolve(file)));
            }
        }
    }

    @Test
    void withoutTheTokenOrForAnImageItDoesNotHaveTheHostRefuses() throws Exception {
        var wrong = new HttpGuestImageSource(api, ApiToken::generate);
        assertThatThrownBy(() -> wrong.listing(DIGEST)).isInstanceOf(IOException.class).hasMessageContaining("401");
        assertThatThrownBy(() -> wrong.open(DIGEST, "rootfs.ext4")).isInstanceOf(IOException.class)
                .hasMessageContaining("401");
        var source = new HttpGuestImageSource(api, () -> TOKEN);
        assertThatThrownBy(() -> source.listing("cd".repeat(32))).isInstanceOf(IOException.class)
                .hasMessageContaining("404").hasMessageContaining("this host has no guest image");
        // only the image's own files, and no path tricks
        assertThat(get("/v1/guest-images/" + DIGEST + "/.hashes")).startsWith("404").contains("has no file");
        // Jetty itself refuses an encoded separator (400)
        assertThat(get("/v1/guest-images/" + DIGEST + "/..%2F..%2Fapi-token")).matches("(?s)40[04] .*");
        assertThat(get("/v1/guest-images/..")).matches("(?s)40[04] .*");
        assertThat(get("/v1/guest-images/" + DIGEST + "/vmlinuz/x")).startsWith("404");
    }

    @Test
    void aJoiningHostAsksTheOtherReadyHostsThatRecordAnImage() {
        Host self = host("h1", HostPhase.READY, DIGEST);
        Host ready = host("h2", HostPhase.READY, "cd".repeat(32));
        Host suspect = host("h3", HostPhase.SUSPECT, DIGEST);
        Host old = host("h4", HostPhase.READY, "");
        Host ready2 = host("h5", HostPhase.READY, DIGEST);
        List<GuestImageOffer> offers = PeerGuestImages.offers(List.of(self, ready, suspect, old, ready2), "h1", TOKEN);
        assertThat(offers).extracting(GuestImageOffer::from).containsExactly("h2", "h5");
        assertThat(offers).extracting(GuestImageOffer::digest).containsExactly("cd".repeat(32), DIGEST);
        assertThat(offers.getFirst().source()).hasToString("http://192.0.2.2:7071");
    }

    @Test
    void etcdThatDoesNotAnswerMeansNoOffers() {
        assertThat(PeerGuestImages.offers(List.of(URI.create("http://127.0.0.1:9")), Optional.empty(),
                Optional.of("h1"))).isEmpty();
    }

    private static Host host(String name, HostPhase phase, String image) {
        return Host.of(ObjectMeta.named(name), new HostSpec("192.0.2." + name.substring(1), Resources.ZERO,
                "", "", 7071, image)).withStatus(new HostStatus(phase, Optional.of(Instant.now()), Resources.ZERO,
                Optional.empty(), Optional.empty()));
    }

    private static String get(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + path))
                .header("Authorization", "Bearer " + TOKEN.value()).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return r.statusCode() + " " + r.body();
    }
}
