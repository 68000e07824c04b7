package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.net.GuestPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What the API shows of a VM's record, lease policy and the host's isolation. */
class VmViewTest {
    private static VmRecord record(boolean hugePages) {
        return new VmRecord("3f9a1c2b7d40", "web", "qemu", 1, "256M", List.of(), Optional.empty(), Optional.empty(),
                "ktap-1234abcd", "06:00:00:00:00:01", "10.77.0.2", 24, "10.77.0.1", "kiln0", "token", Optional.empty(),
                Instant.parse("2026-11-24T06:00:00Z"), Optional.empty(), Optional.empty(), Optional.empty(), "booting",
                Optional.empty(), hugePages);
    }

    @Test
    void showsTheLeasesPolicyTheHostsIsolationAndHugePages() {
        VmView v = VmView.of(record(true), "booting", Optional.of(new GuestPolicy("team-a", GuestPolicy.Egress.DENY)),
                true);
        assertThat(v.tenant()).contains("team-a");
        assertThat(v.egress()).contains("deny");
        assertThat(v.guestIsolation()).isTrue();
        assertThat(v.hugePages()).isTrue();
    }

    @Test
    void aVmWithoutALeaseYetHasNoPolicyAndIsolationOffIsShown() {
        VmView v = VmView.of(record(false), "booting", Optional.empty(), false);
        assertThat(v.tenant()).isEmpty();
        assertThat(v.egress()).isEmpty();
        assertThat(v.guestIsolation()).isFalse();
        assertThat(v.hugePages()).isFalse();
    }
}
