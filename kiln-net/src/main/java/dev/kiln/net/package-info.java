/**
 * kiln-net: per-host networking for microVMs.
 *
 * <p>Entry point: {@link dev.kiln.net.HostNetwork#open(dev.kiln.net.NetworkConfig)}. A host has one kiln bridge
 * (default {@code kiln0}, gateway {@code 10.77.0.1/24}); each vm gets a persistent tap {@code ktap-<8 hex>} on
 * it, an address from a lease file ({@code stateDir/net/leases.json}), a MAC derived from its id, egress NAT
 * through the nftables table {@code ip kiln}, and optional rate limits mapped onto tc (see
 * {@code TrafficShaper}). Hosts of a cluster share one layer-2 network ({@code NetworkConfig.withClusterCidr})
 * carried between them by {@link dev.kiln.net.VxlanOverlay} ({@code kvx<vni>} on the bridge).
 *
 * <p>Layout: public records and the {@code HostNetwork} interface describe the API; package-private classes do
 * one concern each: {@code BridgeStep}, {@code VmLinks} (taps/ifbs), {@code TrafficShaper} + {@code TbfSpec}
 * (tc), {@code Firewall} + {@code NftRuleset} (nftables), {@code IpForwarding} (sysctl), {@code LeaseTable} (pure
 * allocation) + {@code LeaseStore} (locked, atomic file), {@code Links} and {@code Commands} (ip/tc/nft through
 * {@code CommandRunner}, the fault-injection seam), orchestrated by {@code DefaultHostNetwork}.
 */
package dev.kiln.net;
