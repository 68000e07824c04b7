package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NftRulesetTest {

    @Test
    void rendersAnAtomicRecreateOfTheKilnTable() {
        NftRuleset ruleset = Firewall.rulesetFor(NetworkConfig.defaults(Path.of("/tmp/x")));
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
        var config = NetworkConfig.defaults(Path.of("/tmp/x")).withHostOnlyPorts(java.util.List.of(10070, 10071));
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
        assertThat(Firewall.isolationRulesetFor(NetworkConfig.defaults(Path.of("/tmp/x")))).isEmpty();
        assertThatThrownBy(() -> config.withHostOnlyPorts(java.util.List.of(0)))
                .isInstanceOf(NetException.class).hasMessageContaining("invalid port 0");
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
