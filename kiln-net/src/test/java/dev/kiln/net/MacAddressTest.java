package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MacAddressTest {

    @Test
    void isStablePerVmId() {
        assertThat(MacAddress.forVm("vm-1")).isEqualTo(MacAddress.forVm("vm-1"));
        assertThat(MacAddress.forVm("vm-1")).isNotEqualTo(MacAddress.forVm("vm-2"));
    }

    @Test
    void isLocallyAdministeredUnicastForManyIds() {
        Set<MacAddress> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            MacAddress mac = MacAddress.forVm("vm-" + i);
            assertThat(mac.isLocallyAdministered()).isTrue();
            assertThat(mac.isUnicast()).isTrue();
            assertThat(mac.value()).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
            seen.add(mac);
        }
        assertThat(seen).hasSize(10_000);
    }

    @Test
    void normalizesAndValidates() {
        assertThat(new MacAddress("0A:1B:2C:3D:4E:5F").value()).isEqualTo("0a:1b:2c:3d:4e:5f");
        assertThatThrownBy(() -> new MacAddress("0a:1b:2c:3d:4e"))
                .isInstanceOfSatisfying(NetException.class,
                        e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
    }
}
