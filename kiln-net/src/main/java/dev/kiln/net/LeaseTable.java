package dev.kiln.net;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The address leases of one subnet as an immutable value: pure allocation logic, no I/O. Host addresses are handed
 * out lowest first from network + 2; the network address, the gateway (network + 1) and the broadcast address are
 * never leased. A vm has at most one lease, and an address belongs to at most one vm: as a lease's own address or as
 * one of a lease's extra addresses ({@link Lease#extraAddresses()}, which come from the same range).
 */
record LeaseTable(Ipv4Cidr subnet, List<Lease> leases) {
    /** Offset of the first address handed out: network + 2 (network + 1 is the gateway). */
    static final long FIRST_OFFSET = 2;

    LeaseTable {
        Set<String> vms = new HashSet<>();
        Set<Long> offsets = new HashSet<>();
        for (Lease lease : leases) {
            if (!vms.add(lease.vmId())) {
                throw invalid("duplicate vm id in lease " + lease);
            }
            for (var extra : lease.extraAddresses().entrySet()) {
                if (!Lease.OWNER.matcher(extra.getKey()).matches()) {
                    throw invalid("lease " + lease + " has an extra address with an invalid owner '"
                            + extra.getKey() + "'");
                }
            }
            for (String address : lease.allAddresses()) {
                if (!isGuestAddress(subnet, address)) {
                    throw invalid("lease " + lease + " holds " + address + ", outside the guest range of " + subnet);
                }
                if (!offsets.add(subnet.offsetOf(address))) {
                    throw invalid("address " + address + " of lease " + lease + " is held twice");
                }
            }
        }
        leases = leases.stream().sorted(Comparator.comparingLong(lease -> subnet.offsetOf(lease.address()))).toList();
    }

    static LeaseTable empty(Ipv4Cidr subnet) {
        return new LeaseTable(subnet, List.of());
    }

    /** The outcome of {@link #allocate}: the new table and the vm's lease ({@code created} if it is new). */
    record Allocation(LeaseTable table, Lease lease, boolean created) {
    }

    /**
     * The outcome of {@link #allocateExtra}: the new table, the vm's lease with the extra address, and the address
     * ({@code created} if the owner did not hold it before).
     */
    record ExtraAllocation(LeaseTable table, Lease lease, String address, boolean created) {
    }

    Optional<Lease> find(String vmId) {
        return leases.stream().filter(lease -> lease.vmId().equals(vmId)).findFirst();
    }

    /**
     * The vm's lease: the existing one if it has one (same address, idempotent), else a new lease on the lowest
     * free address. Throws {@link NetError#ADDRESS_EXHAUSTED} when every host address is leased.
     */
    Allocation allocate(String vmId, MacAddress mac, String tap) {
        return allocate(vmId, mac, tap, GuestPolicy.defaults());
    }

    /** As {@link #allocate(String, MacAddress, String)}; an existing lease takes the given policy. */
    Allocation allocate(String vmId, MacAddress mac, String tap, GuestPolicy policy) {
        Optional<Lease> existing = find(vmId);
        if (existing.isPresent()) {
            if (existing.get().policy().equals(policy)) {
                return new Allocation(this, existing.get(), false);
            }
            Lease updated = existing.get().withPolicy(policy);
            return new Allocation(replace(updated), updated, false);
        }
        var lease = new Lease(vmId, lowestFree(), mac.value(), tap, policy.tenant(), policy.egress());
        var all = new ArrayList<>(leases);
        all.add(lease);
        return new Allocation(new LeaseTable(subnet, all), lease, true);
    }

    /**
     * One more address for the vm's tap, held by {@code owner}: the address the owner already holds (idempotent),
     * else the lowest address that no lease and no extra address holds.
     *
     * @throws NetException {@link NetError#NOT_ATTACHED} when the vm has no lease,
     *                      {@link NetError#ADDRESS_EXHAUSTED} when every host address is taken,
     *                      {@link NetError#INVALID_ARGUMENT} for a bad owner
     */
    ExtraAllocation allocateExtra(String vmId, String owner) {
        Lease.requireOwner(owner);
        Lease lease = find(vmId).orElseThrow(() -> new NetException(NetError.NOT_ATTACHED, "vm " + vmId
                + " has no lease", "attach the vm first"));
        String held = lease.extraAddresses().get(owner);
        if (held != null) {
            return new ExtraAllocation(this, lease, held, false);
        }
        String address = lowestFree();
        var extras = new TreeMap<>(lease.extraAddresses());
        extras.put(owner, address);
        Lease updated = lease.withExtraAddresses(extras);
        return new ExtraAllocation(replace(updated), updated, address, true);
    }

    /** The table without the owner's extra address on the vm's lease; the same table if there is none. */
    LeaseTable releaseExtra(String vmId, String owner) {
        Optional<Lease> lease = find(vmId);
        if (lease.isEmpty() || !lease.get().extraAddresses().containsKey(owner)) {
            return this;
        }
        Map<String, String> extras = new TreeMap<>(lease.get().extraAddresses());
        extras.remove(owner);
        return replace(lease.get().withExtraAddresses(extras));
    }

    /** The table without the vm's lease (and so its extra addresses); the same table if it has none. */
    LeaseTable release(String vmId) {
        return find(vmId).isEmpty() ? this
                : new LeaseTable(subnet, leases.stream().filter(lease -> !lease.vmId().equals(vmId)).toList());
    }

    /** How many addresses the subnet can hand out: all but network, gateway and broadcast. */
    long capacity() {
        return subnet.size() - 3;
    }

    /** The table with {@code lease} in place of the lease of the same vm. */
    private LeaseTable replace(Lease lease) {
        var all = new ArrayList<>(release(lease.vmId()).leases());
        all.add(lease);
        return new LeaseTable(subnet, all);
    }

    private String lowestFree() {
        Set<Long> taken = new HashSet<>();
        leases.forEach(lease -> lease.allAddresses().forEach(address -> taken.add(subnet.offsetOf(address))));
        for (long offset = FIRST_OFFSET; offset < subnet.size() - 1; offset++) {
            if (!taken.contains(offset)) {
                return subnet.addressAt(offset);
            }
        }
        throw new NetException(NetError.ADDRESS_EXHAUSTED, "all " + capacity() + " guest addresses of " + subnet
                + " are leased", "detach vms that are gone (or sweep), or configure a larger subnet");
    }

    private static boolean isGuestAddress(Ipv4Cidr subnet, String address) {
        try {
            if (!subnet.contains(address)) {
                return false;
            }
        } catch (NetException malformed) {
            return false;
        }
        long offset = subnet.offsetOf(address);
        return offset >= FIRST_OFFSET && offset < subnet.size() - 1;
    }

    private static NetException invalid(String message) {
        return new NetException(NetError.STATE_ERROR, message, "the lease file is inconsistent; fix or delete it"
                + " (then run a sweep so kiln re-creates leases on attach)");
    }
}
