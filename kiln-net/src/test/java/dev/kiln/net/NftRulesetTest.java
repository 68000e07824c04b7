package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NftRulesetTest {

    @Test
    void rendersAnAtomicRecreateOfTheKilnTable() {
        NftRuleset ruleset = Firewall.rulesetFor(NetworkConfig.defaults(Path.of("/tmp/x"))
                .withIsolation(NetworkConfig.Isolation.OFF));
        assertThat(ruleset.render()).isEqualTo("""
                table ip kiln
                delete table ip kiln
                table ip kiln {
                  chain postrouting {
                    type nat hook postrouting priority srcnat; policy accept;
                    ip saddr 10.77.0.0/24 oifname != "kiln0" masquerade
                  }
                  chain forward {
                    type filter hook forward priority filter; policy accept;
                    iifname "kiln0" accept
                    oifname "kiln0" accept
                  }
                }
                """);
    }

    @Test
    void isolationTableDropsGuestToGuestTrafficToHostOnlyPorts() {
        var config = NetworkConfig.defaults(Path.of("/tmp/x")).withHostOnlyPorts(java.util.List.of(10070, 10071))
                .withIsolation(NetworkConfig.Isolation.OFF);
        assertThat(Firewall.isolationRulesetFor(config).orElseThrow().render()).isEqualTo("""
                table bridge kiln
                delete table bridge kiln
                table bridge kiln {
                  chain forward {
                    type filter hook forward priority 0; policy accept;
                    iifname "ktap-*" ip protocol tcp tcp dport { 10070, 10071 } drop
                    iifname "kvx*" ip protocol tcp tcp dport { 10070, 10071 } drop
                  }
                }
                """);
        assertThat(Firewall.isolationRulesetFor(NetworkConfig.defaults(Path.of("/tmp/x"))
                .withIsolation(NetworkConfig.Isolation.OFF))).isEmpty();
        assertThatThrownBy(() -> config.withHostOnlyPorts(java.util.List.of(0)))
                .isInstanceOf(NetException.class).hasMessageContaining("invalid port 0");
    }

    @Test
    void theGuardIsOnByDefaultAndCarriesEveryLeasedGuestsElementsExtraAddressesToo() {
        var config = NetworkConfig.defaults(Path.of("/tmp/x")).withHostOnlyPorts(java.util.List.of(10070, 10071))
                .withGuestServicePorts(java.util.List.of(10080));
        assertThat(config.isolation()).isEqualTo(NetworkConfig.Isolation.ON);
        var leases = java.util.List.of(
                new Lease("a", "10.77.0.2", "02:00:00:00:00:0a", "ktap-0000000a", "alpha", GuestPolicy.Egress.DENY,
                        new java.util.TreeMap<>(java.util.Map.of("pod:x", "10.77.0.9"))),
                new Lease("b", "10.77.0.3", "02:00:00:00:00:0b", "ktap-0000000b", null, null,
                        new java.util.TreeMap<>(java.util.Map.of("pod:z", "10.77.0.7", "pod:y", "10.77.0.8"))));
        long alpha = GuestGuard.tenantNumber("alpha");
        long standard = GuestGuard.tenantNumber(GuestPolicy.DEFAULT_TENANT);
        assertThat(alpha).isNotEqualTo(standard);
        assertThat(Firewall.isolationRulesetFor(config, leases).orElseThrow().render()).isEqualTo("""
                table bridge kiln
                delete table bridge kiln
                table bridge kiln {
                  set guest_port {
                    type ifname
                    elements = { "ktap-0000000a", "ktap-0000000b" }
                  }
                  set guest_mac {
                    type ifname . ether_addr
                    elements = { "ktap-0000000a" . 02:00:00:00:00:0a, "ktap-0000000b" . 02:00:00:00:00:0b }
                  }
                  set guest_ip {
                    type ifname . ipv4_addr
                    elements = { "ktap-0000000a" . 10.77.0.2, "ktap-0000000a" . 10.77.0.9, \
                "ktap-0000000b" . 10.77.0.3, "ktap-0000000b" . 10.77.0.8, "ktap-0000000b" . 10.77.0.7 }
                  }
                  map tenant_of {
                    type ifname : mark
                    elements = { "ktap-0000000a" : ALPHA, "ktap-0000000b" : DEFAULT }
                  }
                  set tenant_port {
                    type ifname . mark
                    elements = { "ktap-0000000a" . ALPHA, "ktap-0000000b" . DEFAULT }
                  }
                  map tenant_tag_of {
                    type ifname : mark
                    elements = { "ktap-0000000a" : TAG_A, "ktap-0000000b" : TAG_D }
                  }
                  set tenant_tag_port {
                    type ifname . mark
                    elements = { "ktap-0000000a" . TAG_A, "ktap-0000000b" . TAG_D }
                  }
                  chain prerouting {
                    type filter hook prerouting priority -200; policy accept;
                    iifname @guest_port jump guest_in
                  }
                  chain guest_in {
                    iifname . ether saddr != @guest_mac drop
                    ether type arp iifname . arp saddr ether != @guest_mac drop
                    ether type arp iifname . arp saddr ip != @guest_ip drop
                    ether type arp accept
                    ether type ip iifname . ip saddr @guest_ip accept
                    drop
                  }
                  chain forward {
                    type filter hook forward priority 0; policy accept;
                    iifname "ktap-*" ip protocol tcp tcp dport { 10070, 10071 } drop
                    iifname "kvx*" ip protocol tcp tcp dport { 10070, 10071 } drop
                    iifname "ktap-*" iifname != @guest_port oifname @guest_port drop
                    iifname @guest_port oifname @guest_port jump tenants
                    iifname @guest_port oifname "kvx*" meta mark set iifname map @tenant_tag_of
                    iifname "kvx*" oifname @guest_port jump overlay_in
                  }
                  chain tenants {
                    meta mark set iifname map @tenant_of
                    oifname . meta mark @tenant_port meta mark set 0 accept
                    drop
                  }
                  chain overlay_in {
                    meta mark 0 accept
                    oifname . meta mark @tenant_tag_port meta mark set 0 accept
                    drop
                  }
                }
                """.replace("ALPHA", Long.toString(alpha)).replace("DEFAULT", Long.toString(standard))
                .replace("TAG_A", Long.toString(alpha & 0xffff)).replace("TAG_D", Long.toString(standard & 0xffff)));
        String ip = Firewall.rulesetFor(config, leases).render();
        assertThat(ip).contains("""
                  set egress_deny {
                    type ipv4_addr
                    elements = { 10.77.0.2, 10.77.0.9 }
                  }
                """).contains("""
                  set control_endpoints {
                    type ipv4_addr . inet_service
                  }
                """).contains("""
                    iifname "kiln0" oifname != "kiln0" ip daddr . tcp dport @control_endpoints drop
                    iifname "kiln0" oifname != "kiln0" ip saddr @egress_deny drop
                    iifname "kiln0" accept
                """).contains("""
                  chain guests_to_host {
                    ct state established,related accept
                    ip daddr 10.77.0.1 ip protocol tcp tcp dport { 10080 } accept
                    ip daddr 10.77.0.1 icmp type echo-request accept
                    drop
                  }
                """);
    }

    @Test
    void aTenantsOverlayTagIsTheLow16BitsOfItsNumberAndNever0() {
        // a name whose hash has 16 zero low bits, found by search, takes bit 0 so that it is never the hosts' tag
        String zero = java.util.stream.IntStream.range(0, 2_000_000).mapToObj(i -> "t" + i)
                .filter(name -> (java.nio.ByteBuffer.wrap(MacAddress.sha256("kiln-tenant/" + name)).getInt()
                        & 0xffff) == 0)
                .findFirst().orElseThrow();
        assertThat(GuestGuard.tenantTag(zero)).isEqualTo(1);
        assertThat(GuestGuard.tenantNumber(zero) & 0xffff0000L).isEqualTo(Integer.toUnsignedLong(
                java.nio.ByteBuffer.wrap(MacAddress.sha256("kiln-tenant/" + zero)).getInt()) & 0xffff0000L);
        for (String tenant : java.util.List.of("alpha", "beta", GuestPolicy.DEFAULT_TENANT)) {
            assertThat(GuestGuard.tenantTag(tenant)).isEqualTo(GuestGuard.tenantNumber(tenant) & 0xffff)
                    .isNotZero();
        }
    }

    @Test
    void badPolicyValuesAreClearErrors() {
        assertThatThrownBy(() -> new GuestPolicy("Bad_Tenant", GuestPolicy.Egress.ALLOW))
                .isInstanceOf(NetException.class).hasMessageContaining("invalid tenant 'Bad_Tenant'");
        assertThatThrownBy(() -> GuestPolicy.Egress.parse("sometimes"))
                .isInstanceOf(NetException.class).hasMessageContaining("invalid egress policy 'sometimes'");
        assertThat(GuestPolicy.Egress.parse("DENY")).isEqualTo(GuestPolicy.Egress.DENY);
    }

    @Test
    void tableNameIsScopedByBridge() {
        var config = new NetworkConfig("kbrt-a.b", Ipv4Cidr.parse("10.79.1.0/24"), Path.of("/tmp/x"));
        assertThat(config.nftTableName()).isEqualTo("kiln_kbrt_a_b");
    }

    @Test
    void refusesNamesThatCouldInjectSyntax() {
        assertThatThrownBy(() -> new NftRuleset.Match.InInterface("x\" accept; #", false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NftRuleset.of(NftRuleset.Family.IP, "bad name"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
