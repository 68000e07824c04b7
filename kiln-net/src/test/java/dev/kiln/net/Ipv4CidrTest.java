package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Ipv4CidrTest {

    @Test
    void parsesAndPrints() {
        Ipv4Cidr cidr = Ipv4Cidr.parse("10.77.0.0/24");
        assertThat(cidr.address()).isEqualTo("10.77.0.0");
        assertThat(cidr.prefixLength()).isEqualTo(24);
        assertThat(cidr).hasToString("10.77.0.0/24");
        assertThat(cidr.isNetwork()).isTrue();
    }

    @Test
    void derivesGatewayBroadcastAndNetwork() {
        Ipv4Cidr cidr = Ipv4Cidr.parse("10.77.0.0/24");
        assertThat(cidr.gateway()).isEqualTo("10.77.0.1");
        assertThat(cidr.broadcast()).isEqualTo("10.77.0.255");
        assertThat(Ipv4Cidr.parse("192.168.5.77/20").network()).hasToString("192.168.0.0/20");
        assertThat(Ipv4Cidr.parse("192.168.5.77/20").isNetwork()).isFalse();
        assertThat(Ipv4Cidr.parse("10.0.0.0/30").gateway()).isEqualTo("10.0.0.1");
    }

    @Test
    void containsAndOverlaps() {
        Ipv4Cidr subnet = Ipv4Cidr.parse("10.77.0.0/24");
        assertThat(subnet.contains("10.77.0.254")).isTrue();
        assertThat(subnet.contains("10.77.1.1")).isFalse();
        assertThat(subnet.contains(Ipv4Cidr.parse("10.77.0.128/25"))).isTrue();
        assertThat(subnet.contains(Ipv4Cidr.parse("10.77.0.0/16"))).isFalse();
        assertThat(subnet.overlaps(Ipv4Cidr.parse("10.77.0.0/16"))).isTrue();
        assertThat(subnet.overlaps(Ipv4Cidr.parse("10.78.0.0/24"))).isFalse();
        assertThat(Ipv4Cidr.parse("0.0.0.0/0").contains("255.255.255.255")).isTrue();
        assertThat(Ipv4Cidr.parse("200.1.2.3/32").contains("200.1.2.3")).isTrue();
    }

    @Test
    void handlesHighAddressesUnsigned() {
        Ipv4Cidr cidr = Ipv4Cidr.parse("250.0.0.0/8");
        assertThat(cidr.addressAt(cidr.size() - 1)).isEqualTo("250.255.255.255");
        assertThat(cidr.offsetOf("250.0.1.0")).isEqualTo(256);
        assertThat(cidr.broadcast()).isEqualTo("250.255.255.255");
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.77.0.0", "10.77.0.0/33", "10.77.0/24", "10.77.0.256/24", "10.77.0.01/24",
            "a.b.c.d/8", "10.77.0.0/", "/24", "10.77.0.0/24/1", " 10.77.0.0/24", "10.77.0.0/-1", ""})
    void rejectsInvalidText(String text) {
        assertThatThrownBy(() -> Ipv4Cidr.parse(text))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT);
                    assertThat(e.hint()).isNotBlank();
                    assertThat(e.getMessage()).contains(text.strip().isEmpty() ? "CIDR" : text.strip());
                });
    }

    @Test
    void gatewayNeedsRoomForHosts() {
        assertThatThrownBy(() -> Ipv4Cidr.parse("10.0.0.0/31").gateway())
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
    }
}
