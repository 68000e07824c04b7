package dev.kiln.net;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Per-host networking for microVMs: one kiln bridge with the subnet's gateway address, NAT to the outside through
 * an nftables table, and per vm a tap on the bridge, an address lease, a stable MAC and optional rate limits.
 *
 * <p>Every host resource is labelled as kiln's: the bridge's alias is {@code kiln:bridge}, a vm's tap
 * ({@code ktap-<hash>}) and ifb ({@code kifb-<hash>}) carry {@code kiln:vm=<id>,bridge=<bridge>}, a
 * {@link VxlanOverlay} device on the bridge carries {@code kiln:overlay,bridge=<bridge>}, and the nftables table is
 * named {@link NetworkConfig#nftTableName()}. Sweeps and teardown only touch labelled links.
 *
 * <p>Guests are isolated on the bridge unless {@link NetworkConfig#isolation()} is off ({@link GuestGuard}): a tap
 * sends only from its vm's MAC and address (and its lease's extra addresses, {@link #addAddress}), reaches only
 * guests of its tenant, of the host only {@link NetworkConfig#guestServicePorts()} on the gateway (and replies to
 * the host's own connections), and nothing off the bridge when its egress is denied ({@link GuestPolicy}).
 *
 * <p>In a cluster network ({@link NetworkConfig#withClusterCidr}) the bridge's gateway and every guest address
 * carry the cluster prefix, while leases still come from the host's own subnet.
 *
 * <p>All methods are idempotent and safe to call from several threads; calls for the same vm are serialized.
 * {@link #close()} releases nothing on the host: vms keep their network when the daemon restarts; use
 * {@link #teardown()} to remove everything.
 */
public interface HostNetwork extends AutoCloseable {

    /**
     * Checks the host (tun device, ip/tc/nft) and ensures the bridge (labelled, up, gateway address), the
     * nftables table and {@code net.ipv4.ip_forward=1}.
     *
     * @throws NetException {@link NetError#NO_TUN_DEVICE}, {@link NetError#TOOL_MISSING},
     *                      {@link NetError#BRIDGE_CONFLICT}, {@link NetError#SUBNET_CONFLICT},
     *                      {@link NetError#COMMAND_FAILED}
     */
    static HostNetwork open(NetworkConfig config) {
        return DefaultHostNetwork.open(config, HostEnvironment.system());
    }

    /**
     * Gives the vm an address (persisted lease), a tap {@code ktap-<8 hex>} attached to the bridge and up, and
     * applies {@code limits}. Calling it again for the same vm returns the same lease and tap (and applies the
     * given limits). On failure, undoes what this call created, then throws.
     *
     * @throws NetException {@link NetError#ADDRESS_EXHAUSTED}, {@link NetError#UNSUPPORTED_LIMIT},
     *                      {@link NetError#LINK_CONFLICT}, {@link NetError#INVALID_ARGUMENT}, ...
     */
    VmNetwork attach(String vmId, NicLimits limits);

    /**
     * As {@link #attach(String, NicLimits)}, with the guest's policy (tenant, egress), which the lease keeps and
     * the tap's isolation rules carry ({@link NetworkConfig#isolation()}). Attaching again with another policy
     * replaces it. ({@link #attach(String, NicLimits)} keeps an existing lease's policy, or gives a new one
     * {@link GuestPolicy#defaults()}.)
     */
    VmNetwork attach(String vmId, NicLimits limits, GuestPolicy policy);

    /**
     * Lets the vm's tap also send as {@code mac} and {@code address}, besides its own lease: a snapshot clone wakes
     * up with its template's identity and answers there until it takes its own. {@link #returnIdentity} ends it.
     * Does nothing with isolation off.
     *
     * @throws NetException {@link NetError#NOT_ATTACHED}, {@link NetError#INVALID_ARGUMENT}
     */
    void lendIdentity(String vmId, MacAddress mac, String address);

    /** Back to the vm's own identity only (ends {@link #lendIdentity}); idempotent. */
    void returnIdentity(String vmId);

    /**
     * Leases one more address of the subnet for the vm's tap, held by {@code owner} (e.g. {@code pod:web-7d9f-x}):
     * a pod inside a node vm sends through an ipvlan (L2) interface on the guest's eth0, so its frames leave the
     * vm's tap with the vm's MAC and the pod's own source address. The address is the one {@code owner} already
     * holds on this vm (idempotent), else the lowest one that no lease and no other extra address holds; the vm's
     * own {@link #attach} never hands it out. It is part of the vm's lease ({@link #detach} and {@link #sweep}
     * release it with the lease) and shares the vm's MAC, tenant and egress policy: with isolation on, the tap may
     * then also send from it.
     *
     * @param owner 1..128 letters, digits, '.', '_', ':', '/' or '-'
     * @return the address (dotted quad, no prefix)
     * @throws NetException {@link NetError#NOT_ATTACHED} when the vm has no lease,
     *                      {@link NetError#ADDRESS_EXHAUSTED} when every address of the subnet is taken,
     *                      {@link NetError#INVALID_ARGUMENT} for a bad vm id or owner
     */
    String addAddress(String vmId, String owner);

    /** Ends {@link #addAddress}: the owner's address leaves the vm's lease and its tap; idempotent. */
    void releaseAddress(String vmId, String owner);

    /** Owner to address of the vm's extra addresses ({@link #addAddress}), sorted by owner; empty if none. */
    Map<String, String> addresses(String vmId);

    /**
     * The MTU a guest booted now should give its NIC: the bridge's MTU, at most {@value VxlanOverlay#GUEST_MTU}. A
     * bridge takes the smallest MTU of its ports, so with a VXLAN overlay on a 1500-byte underlay it is 1450, and a
     * guest that sent 1500-byte frames would have them dropped on their way to another host.
     */
    int guestMtu();

    /**
     * Makes {@code endpoints} (the cluster store's members, {@code address:port}) unreachable from every guest of
     * this network, whatever its egress policy; replaces the earlier list (empty: none). IPv4 only; loopback ones
     * are skipped (guests never reach them). Without guest isolation it does nothing.
     */
    void protectControlEndpoints(List<java.net.InetSocketAddress> endpoints);

    /** The vm's guest policy from its lease; empty when it is not attached. */
    Optional<GuestPolicy> policy(String vmId);

    /** The vm's network from the persisted leases; empty when it is not attached. */
    Optional<VmNetwork> lookup(String vmId);

    /**
     * Replaces the vm's limits.
     *
     * @throws NetException {@link NetError#NOT_ATTACHED} when the vm has no lease or tap
     */
    void updateLimits(String vmId, NicLimits limits);

    /**
     * Removes the vm's tap, ifb and tc state and releases its address and extra addresses. Idempotent: gone is fine.
     */
    void detach(String vmId);

    /**
     * Removes the labelled taps, ifbs and leases of this network whose vm id is not in {@code liveVmIds}; links
     * without kiln's label are never touched.
     */
    SweepReport sweep(Set<String> liveVmIds);

    /**
     * Removes everything this network put on the host: all its vms' taps and ifbs, the VXLAN overlay device
     * labelled for its bridge ({@link VxlanOverlay}), the bridge, the nftables tables and the lease file. The
     * instance cannot attach afterwards. ({@code net.ipv4.ip_forward} stays 1: other software may rely on it.)
     */
    void teardown();

    NetworkConfig config();

    /** Marks this instance closed; host resources stay (see {@link #teardown()}). */
    @Override
    void close();
}
