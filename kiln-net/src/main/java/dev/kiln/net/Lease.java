package dev.kiln.net;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One vm's persisted claim on an address of the subnet, with the guest policy its tap's rules carry, and the extra
 * addresses its tap may also send from (a pod's address inside a node vm; see {@link HostNetwork#addAddress}).
 *
 * @param vmId            the vm
 * @param address         the guest IP (dotted quad, no prefix)
 * @param mac             the guest MAC
 * @param tap             the tap device name
 * @param tenant          the guest's tenant ({@link GuestPolicy#DEFAULT_TENANT} in lease files written before
 *                        tenants)
 * @param egress          the guest's egress policy (allow in lease files written before egress policies)
 * @param extraAddresses  owner to address (dotted quad) of the vm's extra addresses, sorted by owner; empty in
 *                        lease files written before them, and left out of the file while empty (so a lease without
 *                        extras is written as before)
 */
record Lease(String vmId, String address, String mac, String tap, String tenant, GuestPolicy.Egress egress,
             @JsonInclude(JsonInclude.Include.NON_EMPTY) SortedMap<String, String> extraAddresses) {
    /** An owner of an extra address: 1..128 letters, digits and {@code . _ : / -} (e.g. {@code pod:web-7d9f-x}). */
    static final Pattern OWNER = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");

    Lease {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(tap, "tap");
        tenant = tenant == null ? GuestPolicy.DEFAULT_TENANT : tenant;
        egress = egress == null ? GuestPolicy.Egress.ALLOW : egress;
        extraAddresses = extraAddresses == null ? Collections.emptySortedMap()
                : Collections.unmodifiableSortedMap(new TreeMap<>(extraAddresses));
    }

    /** A lease with the given policy and no extra addresses. */
    Lease(String vmId, String address, String mac, String tap, String tenant, GuestPolicy.Egress egress) {
        this(vmId, address, mac, tap, tenant, egress, null);
    }

    /** A lease with the default policy. */
    Lease(String vmId, String address, String mac, String tap) {
        this(vmId, address, mac, tap, null, null, null);
    }

    /**
     * Throws {@link NetError#INVALID_ARGUMENT} unless {@code owner} is 1..128 letters, digits, '.', '_', ':', '/'
     * or '-'.
     */
    static String requireOwner(String owner) {
        if (owner == null || !OWNER.matcher(owner).matches()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "invalid address owner '" + owner + "'",
                    "use 1..128 letters, digits, '.', '_', ':', '/' or '-' (e.g. pod:web-7d9f-abcde)");
        }
        return owner;
    }

    GuestPolicy policy() {
        return new GuestPolicy(tenant, egress);
    }

    Lease withPolicy(GuestPolicy policy) {
        return new Lease(vmId, address, mac, tap, policy.tenant(), policy.egress(), extraAddresses);
    }

    /** This lease with {@code extras} as its extra addresses. */
    Lease withExtraAddresses(Map<String, String> extras) {
        return new Lease(vmId, address, mac, tap, tenant, egress, new TreeMap<>(extras));
    }

    /** Every address the tap may send from: the lease's own first, then the extras in owner order. */
    List<String> allAddresses() {
        var all = new ArrayList<String>(1 + extraAddresses.size());
        all.add(address);
        all.addAll(extraAddresses.values());
        return all;
    }
}
