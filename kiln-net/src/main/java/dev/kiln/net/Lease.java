package dev.kiln.net;

import java.util.Objects;

/**
 * One vm's persisted claim on an address of the subnet.
 *
 * @param vmId    the vm
 * @param address the guest IP (dotted quad, no prefix)
 * @param mac     the guest MAC
 * @param tap     the tap device name
 */
record Lease(String vmId, String address, String mac, String tap) {
    Lease {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(tap, "tap");
    }
}
