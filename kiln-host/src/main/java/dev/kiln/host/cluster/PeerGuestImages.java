package dev.kiln.host.cluster;

import dev.kiln.cluster.api.ApiToken;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.store.EtcdTls;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.guest.GuestImageListing;
import dev.kiln.guest.GuestImageOffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Before a joining daemon prepares its guest image, the images the cluster's other hosts have: each Ready Host
 * records the digest of the image its VMs boot ({@code spec.guestImage}), and its cluster API serves it
 * ({@link GuestImageHandler}, behind the cluster's token, which the joining host reads from etcd like every member).
 * The guest image builder pulls the one whose digest equals its own instead of building it.
 */
public final class PeerGuestImages {
    private static final Logger LOG = LoggerFactory.getLogger(PeerGuestImages.class);

    private PeerGuestImages() {
    }

    /**
     * The other hosts' images as offers, read once from the etcd cluster at {@code etcd}. Empty (logged) when etcd
     * does not answer at once or the cluster has no token yet: the image is then built here, and the join itself
     * reports an unreachable etcd with its own error.
     *
     * @param tls  how to reach it over TLS (https:// endpoints)
     * @param self this host's name ({@code --host-name}, else the machine's name): its own Host is skipped
     */
    public static List<GuestImageOffer> offers(List<URI> etcd, Optional<EtcdTls> tls, Optional<String> self) {
        String me = self.orElseGet(ClusterMode::machineName);
        try (KvStore kv = KvStore.etcd(etcd, tls)) {
            Optional<ApiToken> token = kv.get(ClusterSecrets.TOKEN_KEY)
                    .map(k -> ApiToken.of(new String(k.value(), StandardCharsets.UTF_8), "the store's token"));
            if (token.isEmpty()) {
                return List.of();
            }
            List<GuestImageOffer> offers = offers(new ResourceStore(kv, Clock.systemUTC()).list(Host.class), me,
                    token.get());
            LOG.info("guest images on the other hosts: {}", offers.isEmpty() ? "none"
                    : offers.stream().map(o -> o.from() + " " + o.digest().substring(0, 12)).toList());
            return offers;
        } catch (RuntimeException e) { // etcd unreachable (ClusterException), a malformed token or Host
            LOG.info("not asking other hosts for their guest image: {}", e.getMessage());
            return List.of();
        }
    }

    /** The Ready hosts other than {@code self} that record a guest image, in the store's order (pure). */
    static List<GuestImageOffer> offers(List<Host> hosts, String self, ApiToken token) {
        return hosts.stream()
                .filter(h -> !h.name().equals(self) && h.status().phase() == HostPhase.READY)
                .filter(h -> GuestImageListing.isDigest(h.spec().guestImage()) && !h.spec().address().isEmpty())
                .map(h -> new GuestImageOffer(h.name(), h.spec().guestImage(),
                        new HttpGuestImageSource(PeerWitness.api(h.spec(), ClusterOptions.DEFAULT_API_PORT),
                                () -> token)))
                .toList();
    }
}
