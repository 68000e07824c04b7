package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class JailPolicyTest {
    @Test
    void theJailIsOnUnlessTheEnvironmentOrThePropertySaysOff() {
        assertThat(JailPolicy.fromEnvironment(Map.of(), null).enabled()).isTrue();
        assertThat(JailPolicy.fromEnvironment(Map.of(JailPolicy.ENV, "off"), null).enabled()).isFalse();
        assertThat(JailPolicy.fromEnvironment(Map.of(JailPolicy.ENV, "OFF "), null).enabled()).isFalse();
        assertThat(JailPolicy.fromEnvironment(Map.of(JailPolicy.ENV, "off"), "on").enabled()).isTrue();
        assertThat(JailPolicy.fromEnvironment(Map.of(), "0").enabled()).isFalse();
    }

    @Test
    void aValueThatIsNeitherOnNorOffIsAnError() {
        assertThatThrownBy(() -> JailPolicy.fromEnvironment(Map.of(JailPolicy.ENV, "maybe"), null))
                .hasMessageContaining("KILN_VMM_JAIL=maybe is not on or off");
    }

    @Test
    void theUidRangeStaysAboveSystemAccountsAndBelowTwoToThe31() {
        assertThatThrownBy(() -> new JailPolicy(true, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JailPolicy(true, Integer.MAX_VALUE - 5L, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThat(JailPolicy.on().uidBase() + JailPolicy.on().uidCount()).isLessThan(Integer.MAX_VALUE);
    }
}
