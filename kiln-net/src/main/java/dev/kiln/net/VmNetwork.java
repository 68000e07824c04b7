package dev.kiln.net;

import java.util.Objects;

/**
 * What a vm needs to use its network: hand {@code tapName} and {@code mac} to the VMM
 * ({@code -netdev tap,ifname=TAP,script=no,downscript=no -device virtio-net-pci,netdev=..,mac=MAC}) and configure
 * the guest with {@code address} and {@code gateway}.
 *
 * @param vmId    the vm this belongs to
 * @param tapName the host tap device, e.g. {@code ktap-1a2b3c4d}
 * @param mac     the guest's MAC (stable for the vm id)
 * @param address the guest's IP with the on-link prefix length ({@link NetworkConfig#onLink()}), e.g.
 *                {@code 10.77.0.2/24}, or {@code 10.90.2.2/16} in a cluster network
 * @param gateway the gateway IP (the bridge's address), e.g. {@code 10.77.0.1}
 * @param bridge  the bridge the tap is attached to
 */
public record VmNetwork(String vmId, String tapName, MacAddress mac, Ipv4Cidr address, String gateway,
                        String bridge) {
    public VmNetwork {
        Objects.requireNonNull(vmId, "vmId");
        Objects.requireNonNull(tapName, "tapName");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(gateway, "gateway");
        Objects.requireNonNull(bridge, "bridge");
    }
}
