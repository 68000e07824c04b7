package dev.kiln.net;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The address leases of one subnet as an immutable value: pure allocation logic, no I/O. Host addresses are handed
 * out lowest first from network + 2; the network address, the gateway (network + 1) and the broadcast address are
 * never leased. A vm has at most one lease and an address at most one vm.
 */
record LeaseTable(Ipv4Cidr subnet, List<Lease> leases) {
    /** Offset of the first address handed out: network + 2 (network + 1 is the gateway). */
    static final long FIRST_OFFSET = 2;

    LeaseTable {
        Set<String> vms = new HashSet<>();
        Set<String> addresses = new HashSet<>();
        for (Lease lease : leases) {
            if (!vms.add(lease.vmId()) || !addresses.add(lease.address())) {
                throw invalid("duplicate vm id or address in lease " + lease);
            }
            if (!isGuestAddress(subnet, lease.address())) {
                throw invalid("lease " + lease + " holds an address outside the guest range of " + subnet);
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
            var all = new ArrayList<>(release(vmId).leases());
            all.add(updated);
            return new Allocation(new LeaseTable(subnet, all), updated, false);
        }
        Set<String> taken = new HashSet<>();
        leases.forEach(lease -> taken.add(lease.address()));
        for (long offset = FIRST_OFFSET; offset < subnet.size() - 1; offset++) {
            String address = subnet.addressAt(offset);
            if (!taken.contains(address)) {
                var lease = new Lease(vmId, address, mac.value(), tap, policy.tenant(), policy.egress());
                var all = new ArrayList<>(leases);
                all.add(lease);
                return new Allocation(new LeaseTable(subnet, all), lease, true);
            }
        }
        throw new NetException(NetError.ADDRESS_EXHAUSTED, "all " + capacity() + " guest addresses of " + subnet
                + " are leased", "detach vms that are gone (or sweep), or configure a larger subnet");
    }

    /** The table without the vm's lease; the same table if it has none. */
    LeaseTable release(String vmId) {
        return find(vmId).isEmpty() ? this
                : new LeaseTable(subnet, leases.stream().filter(lease -> !lease.vmId().equals(vmId)).toList());
    }

    /** How many guests the subnet can hold: all addresses but network, gateway and broadcast. */
    long capacity() {
        return subnet.size() - 3;
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
