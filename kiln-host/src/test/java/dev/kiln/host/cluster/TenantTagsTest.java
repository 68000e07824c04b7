package dev.kiln.host.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.MemoryKvStore;
import dev.kiln.host.HostError;
import dev.kiln.host.HostException;
import dev.kiln.net.GuestPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** No two tenants of a cluster share an overlay tag: claimed in the store, a collision refused by name. */
class TenantTagsTest {
    /** Two valid tenant names whose overlay tags are equal (found by search: 16 bits collide within a few hundred). */
    static List<String> collidingTenants() {
        Map<Integer, String> seen = new HashMap<>();
        for (int i = 0; ; i++) {
            String name = "tenant-" + i;
            String before = seen.putIfAbsent(GuestPolicy.overlayTag(name), name);
            if (before != null) {
                return List.of(before, name);
            }
        }
    }

    @Test
    void aTagIsClaimedOnceAndAnotherTenantWithItIsRefusedOnEveryHost() {
        List<String> pair = collidingTenants();
        String first = pair.get(0);
        String second = pair.get(1);
        assertThat(GuestPolicy.overlayTag(first)).isEqualTo(GuestPolicy.overlayTag(second)).isBetween(1, 65535);
        MemoryKvStore kv = KvStore.memory(Clock.systemUTC());
        TenantTags h1 = new TenantTags(kv);
        TenantTags h2 = new TenantTags(kv);

        h1.claim(first);
        h1.claim(first); // again: nothing new
        h2.claim(first); // the same tenant on another host
        assertThat(kv.get(TenantTags.key(first))).map(v -> new String(v.value(), StandardCharsets.UTF_8))
                .contains(first);

        for (TenantTags host : List.of(h1, h2, new TenantTags(kv))) {
            HostException e = catchThrowableOfType(HostException.class, () -> host.claim(second));
            assertThat(e.code()).isEqualTo(HostError.TENANT_CONFLICT);
            assertThat(e.getMessage()).contains("'" + second + "'", "held by tenant '" + first + "'",
                    TenantTags.key(first).substring(TenantTags.PREFIX.length()));
            assertThat(e.hint()).contains("another tenant name");
        }
        assertThat(kv.get(TenantTags.key(first))).map(v -> new String(v.value(), StandardCharsets.UTF_8))
                .contains(first);

        // tenants of other tags are unaffected; claimAll logs a conflict instead of failing (those VMs exist)
        TenantTags h3 = new TenantTags(kv);
        h3.claimAll(List.of("default", second, "team-a"));
        assertThat(kv.list(TenantTags.PREFIX)).extracting(v -> new String(v.value(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder(first, "default", "team-a");
    }

    @Test
    void anUnreachableStoreRefusesTheVmRatherThanRiskingIt() {
        MemoryKvStore kv = KvStore.memory(Clock.systemUTC());
        kv.close();
        HostException e = catchThrowableOfType(HostException.class, () -> new TenantTags(kv).claim("team-a"));
        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(HostError.HOST_ERROR);
        assertThat(e.getMessage()).contains("cannot claim tenant team-a's overlay tag");
    }
}
