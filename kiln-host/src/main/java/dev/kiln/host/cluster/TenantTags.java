package dev.kiln.host.cluster;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.host.HostError;
import dev.kiln.host.HostException;
import dev.kiln.net.GuestPolicy;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant per overlay tag in a cluster. A guest's frames cross the overlay with its tenant's 16-bit tag
 * ({@link GuestPolicy#overlayTag}), and the receiving host lets them reach only guests whose tenant has the same tag:
 * two tenant names with one tag would reach each other across hosts. So, before a VM of a tenant is made on any host
 * of the cluster, its tag is claimed in the store ({@code /kiln/tenant-tags/<tag in hex>} = the tenant's name,
 * create-if-absent, so two hosts claiming at once get one answer); a tag held by another tenant refuses the VM with
 * {@link HostError#TENANT_CONFLICT}, naming both. Claims are kept (a tag costs a key; tenants come back), and each
 * host remembers what it has claimed, so the store is asked once per tenant and host.
 */
public final class TenantTags {
    private static final Logger LOG = LoggerFactory.getLogger(TenantTags.class);
    /** The store's keys, one per claimed tag. */
    public static final String PREFIX = "/kiln/tenant-tags/";

    private final KvStore kv;
    private final Set<String> claimed = ConcurrentHashMap.newKeySet();

    public TenantTags(KvStore kv) {
        this.kv = kv;
    }

    /** The store key of {@code tenant}'s tag. */
    static String key(String tenant) {
        return PREFIX + String.format(Locale.ROOT, "%04x", GuestPolicy.overlayTag(tenant));
    }

    /**
     * Claims {@code tenant}'s tag for it, or finds it already claimed for it.
     *
     * @throws HostException TENANT_CONFLICT when another tenant holds the tag; HOST_ERROR when the store cannot be
     *                       asked (the VM is refused rather than risked)
     */
    public void claim(String tenant) {
        GuestPolicy.requireTenant(tenant);
        if (claimed.contains(tenant)) {
            return;
        }
        String key = key(tenant);
        try {
            try {
                kv.create(key, tenant.getBytes(StandardCharsets.UTF_8));
                LOG.info("tenant {} holds overlay tag {} in the cluster", tenant, key.substring(PREFIX.length()));
            } catch (ClusterException e) {
                if (e.code() != ClusterError.ALREADY_EXISTS) {
                    throw e;
                }
                String holder = kv.get(key).map(v -> new String(v.value(), StandardCharsets.UTF_8)).orElse("");
                if (!holder.equals(tenant)) {
                    throw new HostException(HostError.TENANT_CONFLICT, "tenant '" + tenant + "' cannot run in this "
                            + "cluster: its overlay tag " + key.substring(PREFIX.length()) + " is held by tenant '"
                            + holder + "', and guests of two tenants with one tag would reach each other across hosts",
                            "choose another tenant name (any other name almost surely has a tag of its own)");
                }
            }
        } catch (ClusterException e) {
            throw new HostException(HostError.HOST_ERROR, "cannot claim tenant " + tenant + "'s overlay tag in the "
                    + "cluster store: " + e.getMessage(), e.hint().orElse("check that etcd answers"), e);
        }
        claimed.add(tenant);
    }

    /**
     * Claims the tags of the tenants whose VMs this host runs already (when it joins). A tenant whose tag another
     * tenant holds is logged, not refused: its VMs exist already; new ones of it will be refused.
     */
    public void claimAll(Collection<String> tenants) {
        for (String tenant : tenants) {
            try {
                claim(tenant);
            } catch (HostException e) {
                LOG.error("{} (this host's running VMs of tenant {} stay; new ones are refused)", e.getMessage(),
                        tenant);
            }
        }
    }
}
