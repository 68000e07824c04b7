package dev.kiln.api.agent;

import dev.kiln.api.ApiException;

/**
 * Gives a pod its own network in the guest ({@code PUT /v1/pods/{pod}/network}): a network namespace named after the
 * pod with an ipvlan link (L2 mode) on the VM's NIC as its {@code eth0}, the pod's address on it, loopback up and a
 * default route through the gateway. The link shares the VM's MAC; the host lets the VM's tap send from the pod's
 * address as well. Containers join it with {@link NetworkMode#POD}.
 *
 * @param address the pod's IPv4 address with the network's prefix, e.g. {@code 10.90.1.9/16}
 * @param gateway the default gateway (the host's bridge address)
 */
public record PodNetworkRequest(String address, String gateway) {
    public PodNetworkRequest {
        address = Wire.text(address, "address");
        gateway = Wire.text(gateway, "gateway");
        if (!address.matches("\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}") || !gateway.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new ApiException("address must be a.b.c.d/prefix and gateway a.b.c.d", "e.g. 10.90.1.9/16 and 10.90.1.1");
        }
    }

    /** The address without its prefix. */
    public String ip() {
        return address.substring(0, address.indexOf('/'));
    }
}
