package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.UniqueElements;
import org.junit.jupiter.api.Test;

/** The order of hosts per function: the same everywhere, a permutation, and stable when hosts come and go. */
class HomeHostsTest {

    @Property(tries = 300)
    void everyHostComputesTheSameOrderWhateverTheListsOrder(
            @ForAll @AlphaChars @NumericChars @StringLength(min = 1, max = 20) String function,
            @ForAll @Size(min = 1, max = 8) @UniqueElements List<@AlphaChars @StringLength(min = 1, max = 6) String> hosts) {
        List<String> reversed = new ArrayList<>(hosts);
        java.util.Collections.reverse(reversed);
        List<String> rank = HomeHosts.rank(function, hosts);
        assertThat(rank).isEqualTo(HomeHosts.rank(function, reversed));
        assertThat(rank).containsExactlyInAnyOrderElementsOf(hosts);
    }

    @Property(tries = 300)
    void aHostLeavingMovesOnlyItsOwnFunctionsAndKeepsTheOthersOrder(
            @ForAll @AlphaChars @StringLength(min = 1, max = 20) String function,
            @ForAll @Size(min = 2, max = 8) @UniqueElements List<@AlphaChars @StringLength(min = 1, max = 6) String> hosts,
            @ForAll int which) {
        String gone = hosts.get(Math.floorMod(which, hosts.size()));
        List<String> before = HomeHosts.rank(function, hosts);
        List<String> after = HomeHosts.rank(function, hosts.stream().filter(h -> !h.equals(gone)).toList());
        assertThat(after).isEqualTo(before.stream().filter(h -> !h.equals(gone)).toList());
        if (!before.getFirst().equals(gone)) {
            assertThat(after.getFirst()).as("its home stays").isEqualTo(before.getFirst());
        }
    }

    @Test
    void functionsSpreadOverTheHosts() {
        List<String> hosts = List.of("h1", "h2", "h3");
        Map<String, Integer> homes = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            homes.merge(HomeHosts.rank("fn-" + i, hosts).getFirst(), 1, Integer::sum);
        }
        assertThat(homes.keySet()).isEqualTo(Set.copyOf(hosts));
        assertThat(homes.values()).allSatisfy(n -> assertThat(n).isBetween(850, 1150));
    }
}
