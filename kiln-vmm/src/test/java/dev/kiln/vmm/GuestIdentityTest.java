package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A guest's identity is checked on the way in and never shows its token. */
class GuestIdentityTest {
    private static final String TOKEN = "00112233445566778899aabbccddeeff";

    @Test
    void valuesAreCheckedAndTheTokenIsHidden() {
        GuestIdentity who = GuestIdentity.none().withAddress("10.20.0.2/24", "10.20.0.1").withHostname("web-1")
                .withAgentToken(TOKEN);

        assertThat(who.ip()).contains("10.20.0.2");
        assertThat(who.toString()).contains("10.20.0.2/24", "web-1", "(hidden)").doesNotContain(TOKEN);
        for (Runnable bad : List.<Runnable>of(
                () -> GuestIdentity.none().withAddress("10.20.0.2", "10.20.0.1"),
                () -> GuestIdentity.none().withAddress("10.20.0.256/24", "10.20.0.1"),
                () -> GuestIdentity.none().withHostname("-web"),
                () -> GuestIdentity.none().withAgentToken("not hex at all, and secret"))) {
            assertThatThrownBy(bad::run).isInstanceOfSatisfying(VmmException.class, e -> {
                assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC);
                assertThat(e.getMessage()).doesNotContain("secret");
            });
        }
    }

    @Test
    void theNineArgumentSpecHasNoIdentityAndTheNetworkChannel() {
        VmSpec spec = new VmSpec(new VmId("vm1"), "vm1", 1, ByteSize.parse("128M"), Path.of("/k"), Optional.empty(), "",
                List.of(), List.of());

        assertThat(spec.identity()).isEqualTo(GuestIdentity.none());
        assertThat(spec.channel()).isEqualTo(GuestChannel.NETWORK);
        assertThat(spec.withChannel(GuestChannel.VSOCK).channel()).isEqualTo(GuestChannel.VSOCK);
        assertThatThrownBy(() -> new VmSpec(new VmId("vm1"), "vm1", 1, ByteSize.parse("128M"), Path.of("/k"),
                Optional.empty(), "", List.of(), List.of(
                        new NicSpec("eth0", "tap0", "06:00:00:00:00:01", dev.kiln.api.RateLimiter.none(),
                                dev.kiln.api.RateLimiter.none()),
                        new NicSpec("eth0", "tap1", "06:00:00:00:00:02", dev.kiln.api.RateLimiter.none(),
                                dev.kiln.api.RateLimiter.none()))))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.getMessage()).contains("NIC ids"));
    }
}
