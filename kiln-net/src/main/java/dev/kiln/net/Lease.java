package dev.kiln.net;

import java.util.Objects;

/**
 * One vm's persisted claim on an address of the subnet, with the guest policy its tap's rules carry.
 *
 * @param vmId    the vm
 * @param address the guest IP (dotted quad, no prefix)
 * @param mac     the guest MAC
 * @param tap     the tap device name
 * @param tenant  the guest's tenant ({@link GuestPolicy#DEFAULT_TENANT} in lease files written before tenants)
 * @param egress  the guest's egress policy (allow in lease files written before egress policies)
 */
record Lease(String vmId, String address, String mac, String tap, String tenant, GuestPolicy.Egress egress) {
    Lease {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(tap, "tap");
        tenant = tenant == null ? GuestPolicy.DEFAULT_TENANT : tenant;
        egress = egress == null ? GuestPolicy.Egress.ALLOW : egress;
    }

    /** A lease with the default policy. */
    Lease(String vmId, String address, String mac, String tap) {
        this(vmId, address, mac, tap, null, null);
    }

    GuestPolicy policy() {
        return new GuestPolicy(tenant, egress);
    }

    Lease withPolicy(GuestPolicy policy) {
        return new Lease(vmId, address, mac, tap, policy.tenant(), policy.egress());
    }
}
