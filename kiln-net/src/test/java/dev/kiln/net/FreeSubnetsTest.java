package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class FreeSubnetsTest {
    private static final List<Ipv4Cidr> USED = List.of(Ipv4Cidr.parse("10.79.200.0/24"), Ipv4Cidr.parse("10.79.0.0/23"),
            Ipv4Cidr.parse("192.168.1.0/24"));

    @Test
    void skipsEverySubnetAnInterfaceOverlaps() {
        assertThat(FreeSubnets.pick("10.79", 2, USED, i -> 200 + i)).containsExactly("10.79.201.0/24", "10.79.202.0/24");
        assertThat(FreeSubnets.pick("10.79", 1, USED, i -> i)).containsExactly("10.79.2.0/24");
    }

    @Test
    void aWiderNetworkInUseCoversItsSubnets() {
        List<Ipv4Cidr> wide = List.of(Ipv4Cidr.parse("10.0.0.0/8"));
        assertThatThrownBy(() -> FreeSubnets.pick("10.79", 1, wide, i -> i))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).contains("fewer than 1 free 10.79.x.0/24 subnets on this host");
                });
    }

    @Test
    void aRepeatedPickIsCountedOnceAndOutOfRangeOctetsAreSkipped() {
        assertThat(FreeSubnets.pick("10.80", 2, List.of(), i -> i < 5 ? 7 : (i < 8 ? 300 : 9)))
                .containsExactly("10.80.7.0/24", "10.80.9.0/24");
    }

    @Test
    void theHostsOwnAddressesAreReadFromIp() {
        // every host has at least its loopback address
        assertThat(FreeSubnets.inUse()).contains(Ipv4Cidr.parse("127.0.0.0/8"));
    }
}
