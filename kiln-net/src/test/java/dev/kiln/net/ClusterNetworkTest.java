package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A host's slice of a cluster network: config, bridge address and conflict check, nftables rules. */
class ClusterNetworkTest {
    private static final Path STATE = Path.of("/tmp/kiln-test-state");
    private static final Ipv4Cidr SUBNET = Ipv4Cidr.parse("10.90.2.0/24");
    private static final Ipv4Cidr CLUSTER = Ipv4Cidr.parse("10.90.0.0/16");

    private final NetworkConfig single = new NetworkConfig("kbr1", SUBNET, STATE, List.of(10070, 10071));
    private final NetworkConfig clustered = single.withClusterCidr(CLUSTER);
    private final FakeKernel kernel = new FakeKernel();
    private final BridgeStep bridge = new BridgeStep(new Links(new Commands(kernel, new ObjectMapper())));

    @Test
    void withoutAClusterTheSubnetIsOnLink() {
        assertThat(single.clusterCidr()).isEmpty();
        assertThat(single.onLink()).isEqualTo(SUBNET);
        assertThat(single.gatewayAddress()).isEqualTo(Ipv4Cidr.parse("10.90.2.1/24"));
        assertThat(new NetworkConfig("kbr1", SUBNET, STATE)).isEqualTo(single.withHostOnlyPorts(List.of()));
        assertThat(single.withClusterCidr(SUBNET).clusterCidr()).isEmpty();
    }

    @Test
    void aClusterCidrPutsTheGatewayAndTheGuestsOnItsPrefix() {
        assertThat(clustered.clusterCidr()).contains(CLUSTER);
        assertThat(clustered.onLink()).isEqualTo(CLUSTER);
        assertThat(clustered.gatewayAddress()).isEqualTo(Ipv4Cidr.parse("10.90.2.1/16"));
        assertThat(clustered.subnet()).isEqualTo(SUBNET);
        assertThat(clustered.withHostOnlyPorts(List.of(1)).clusterCidr()).contains(CLUSTER);
        assertThat(clustered.hostOnlyPorts()).containsExactly(10070, 10071);
    }

    @Test
    void aClusterCidrMustContainTheSubnet() {
        assertThatThrownBy(() -> single.withClusterCidr(Ipv4Cidr.parse("10.91.0.0/16")))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.getMessage()).contains("10.91.0.0/16 does not contain", "10.90.2.0/24");
                    assertThat(e.hint()).contains("inside the cluster CIDR");
                });
        assertThatThrownBy(() -> single.withClusterCidr(Ipv4Cidr.parse("10.90.2.0/25")))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.getMessage()).contains("does not contain"));
        assertThatThrownBy(() -> single.withClusterCidr(Ipv4Cidr.parse("10.90.1.0/16")))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.getMessage()).contains("host bits");
                    assertThat(e.hint()).contains("10.90.0.0/16");
                });
        assertThatThrownBy(() -> single.withClusterCidr(Ipv4Cidr.parse("0.0.0.0/0")))
                .isInstanceOfSatisfying(NetException.class, e -> assertThat(e.getMessage()).contains("too large"));
    }

    @Test
    void noMasqueradeInsideTheCluster() {
        assertThat(Firewall.rulesetFor(clustered).render()).contains(
                "ip saddr 10.90.2.0/24 ip daddr != 10.90.0.0/16 oifname != \"kbr1\" masquerade",
                "iifname \"kbr1\" accept", "oifname \"kbr1\" accept");
        assertThat(Firewall.rulesetFor(single).render())
                .contains("ip saddr 10.90.2.0/24 oifname != \"kbr1\" masquerade").doesNotContain("daddr !=");
    }

    @Test
    void hostOnlyPortsAreClosedToTheOverlayToo() {
        var unguarded = clustered.withIsolation(NetworkConfig.Isolation.OFF);
        assertThat(Firewall.isolationRulesetFor(unguarded).orElseThrow().render()).isEqualTo("""
                table bridge kiln_kbr1
                delete table bridge kiln_kbr1
                table bridge kiln_kbr1 {
                  chain forward {
                    type filter hook forward priority 0; policy accept;
                    iifname "ktap-*" ip protocol tcp tcp dport { 10070, 10071 } drop
                    iifname "kvx*" ip protocol tcp tcp dport { 10070, 10071 } drop
                  }
                }
                """);
        assertThat(Firewall.isolationRulesetFor(single).orElseThrow().render())
                .as("the overlay rule is in every isolation table").contains("iifname \"kvx*\"");
        assertThat(Firewall.isolationRulesetFor(clustered).orElseThrow().render())
                .as("with the guard too").contains("iifname \"kvx*\" ip protocol tcp tcp dport { 10070, 10071 } drop");
        assertThat(Firewall.isolationRulesetFor(unguarded.withHostOnlyPorts(List.of()))).isEmpty();
    }

    @Test
    void theBridgeGetsTheGatewayWithTheClusterPrefix() {
        kernel.addLink("eth0", "veth");
        kernel.addAddress("eth0", "172.29.0.1/24");
        bridge.ensure(clustered);
        assertThat(kernel.mutations()).contains(List.of("ip", "addr", "add", "10.90.2.1/16", "brd", "+", "dev",
                "kbr1"));
        assertThat(kernel.addresses).contains(new Links.Address("kbr1", Ipv4Cidr.parse("10.90.2.1/16")));
    }

    @Test
    void onAClusterNetworkEachHostsBridgeHasItsOwnMac() {
        NetworkConfig other = new NetworkConfig("kbr1", Ipv4Cidr.parse("10.90.3.0/24"), STATE, List.of())
                .withClusterCidr(CLUSTER);
        FakeKernel second = new FakeKernel();
        bridge.ensure(clustered);
        new BridgeStep(new Links(new Commands(second, new ObjectMapper()))).ensure(other);
        // the bridges share one L2 segment through the overlay: one MAC for all would send a host's replies astray
        assertThat(bridgeMac(kernel)).isNotEqualTo(bridgeMac(second));
        FakeKernel again = new FakeKernel();
        new BridgeStep(new Links(new Commands(again, new ObjectMapper()))).ensure(clustered);
        assertThat(bridgeMac(again)).as("stable for the same host").isEqualTo(bridgeMac(kernel));
    }

    private static String bridgeMac(FakeKernel k) {
        List<String> add = k.mutations().stream().filter(c -> c.size() > 6 && c.get(1).equals("link")
                && c.get(2).equals("add") && c.contains("bridge")).findFirst().orElseThrow();
        return add.get(add.indexOf("address") + 1);
    }

    @Test
    void theBridgesOwnOnLinkRouteIsNoConflict() {
        bridge.ensure(clustered);
        kernel.executed.clear();
        bridge.ensure(clustered);
        assertThat(kernel.mutations()).isEmpty();
    }

    @Test
    void aGatewayLeftWithTheSubnetPrefixIsReplaced() {
        bridge.ensure(single);
        kernel.executed.clear();
        bridge.ensure(clustered);
        assertThat(kernel.mutations()).containsExactly(
                List.of("ip", "addr", "del", "10.90.2.1/24", "dev", "kbr1"),
                List.of("ip", "addr", "add", "10.90.2.1/16", "brd", "+", "dev", "kbr1"));
        assertThat(kernel.addresses).extracting(Links.Address::cidr)
                .containsExactly(Ipv4Cidr.parse("10.90.2.1/16"));
    }

    @Test
    void anotherInterfaceInsideTheClusterIsAConflict() {
        kernel.addLink("eth1", "veth");
        kernel.addAddress("eth1", "10.90.7.3/24");
        bridge.ensure(single);
        kernel.links.remove("kbr1");
        kernel.addresses.removeIf(address -> address.link().equals("kbr1"));
        kernel.executed.clear();

        assertThatThrownBy(() -> bridge.ensure(clustered)).isInstanceOfSatisfying(NetException.class, e -> {
            assertThat(e.code()).isEqualTo(NetError.SUBNET_CONFLICT);
            assertThat(e.getMessage()).contains("cluster CIDR 10.90.0.0/16", "10.90.7.3/24 on eth1");
            assertThat(e.hint()).contains("no other interface");
        });
        assertThat(kernel.mutations()).isEmpty();
    }
}
