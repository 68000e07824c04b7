package dev.kiln.cluster.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

/** jqwik generators of random snapshots: 1–50 bins, 0–300 items, some of them bound (a few to missing bins). */
final class Snapshots {
    static final long MI = 1L << 20;
    static final long GI = 1L << 30;
    /** Bound items name bins up to this index, beyond the 50 that may exist. */
    private static final int BIN_NAMES = 60;

    private Snapshots() {}

    static Arbitrary<Snapshot> snapshots() {
        return Combinators.combine(
                bins().list().ofMinSize(1).ofMaxSize(50).withSizeDistribution(RandomDistribution.uniform()),
                items().list().ofMaxSize(300).withSizeDistribution(RandomDistribution.uniform()))
                .as(Snapshots::named);
    }

    /** Fixed bins, one unbound item (for properties about a single item). */
    static Arbitrary<Snapshot> oneUnboundItem() {
        return Combinators.combine(bins().list().ofMinSize(1).ofMaxSize(20), items().list().ofMaxSize(60),
                unboundItem()).as((bins, items, single) -> {
                    Snapshot named = named(bins, items);
                    List<Item> all = new ArrayList<>(named.items().stream().filter(Item::isBound).toList());
                    all.add(new Item("single", single.requests(), single.selector(), single.spreadGroup(),
                            Optional.empty()));
                    return new Snapshot(named.bins(), all);
                });
    }

    private static Snapshot named(List<Bin> bins, List<Item> items) {
        List<Bin> namedBins = IntStream.range(0, bins.size()).mapToObj(i -> {
            Bin b = bins.get(i);
            return new Bin(binName(i), b.domain(), b.capacity(), b.allocated(), b.labels(), b.schedulable());
        }).toList();
        List<Item> namedItems = IntStream.range(0, items.size()).mapToObj(i -> {
            Item it = items.get(i);
            return new Item("item-%03d".formatted(i), it.requests(), it.selector(), it.spreadGroup(), it.boundTo());
        }).toList();
        return new Snapshot(namedBins, namedItems);
    }

    static String binName(int i) {
        return "bin-%02d".formatted(i);
    }

    private static Arbitrary<Bin> bins() {
        Arbitrary<Optional<String>> domain = Arbitraries.of("h0", "h1", "h2", "h3", "h4").optional(0.6);
        Arbitrary<Long> cpu = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 16).map(n -> n * 1000)),
                Tuple.of(2, Arbitraries.longs().between(0, 16_000)));
        Arbitrary<Long> memory = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 32).map(n -> n * GI)),
                Tuple.of(2, Arbitraries.longs().between(0, 32 * GI)));
        Arbitrary<Integer> percent = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.just(0)), Tuple.of(1, Arbitraries.integers().between(0, 100)));
        Arbitrary<Boolean> schedulable = Arbitraries.integers().between(0, 9).map(n -> n > 0);
        return Combinators.combine(domain, cpu, memory, percent, percent, labels(3), schedulable)
                .as((d, c, m, pc, pm, labels, s) -> new Bin("unnamed", d, Capacity.of(c, m),
                        Capacity.of(c * pc / 100, m / 100 * pm), labels, s));
    }

    private static Arbitrary<Item> items() {
        Arbitrary<Optional<String>> bound = Arbitraries.integers().between(0, BIN_NAMES - 1)
                .map(Snapshots::binName).optional(0.2);
        return Combinators.combine(unboundItem(), bound)
                .as((item, b) -> new Item("unnamed", item.requests(), item.selector(), item.spreadGroup(), b));
    }

    private static Arbitrary<Item> unboundItem() {
        Arbitrary<Long> cpu = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 16).map(n -> n * 250)),
                Tuple.of(2, Arbitraries.longs().between(0, 8_000)));
        Arbitrary<Long> memory = Arbitraries.frequencyOf(
                Tuple.of(8, Arbitraries.longs().between(0, 64).map(n -> n * 128 * MI)),
                Tuple.of(2, Arbitraries.longs().between(0, 40 * GI)));
        Arbitrary<Map<String, String>> selector = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.just(Map.<String, String>of())), Tuple.of(1, labels(2)));
        Arbitrary<String> group = Arbitraries.of("g0", "g1", "g2", "g3", "g4", "g5", "");
        return Combinators.combine(cpu, memory, selector, group)
                .as((c, m, sel, g) -> Item.of("unnamed", Capacity.of(c, m), g).withSelector(sel));
    }

    private static Arbitrary<Map<String, String>> labels(int max) {
        return Arbitraries.maps(Arbitraries.of("disktype", "zone", "gpu"), Arbitraries.of("a", "b"))
                .ofMaxSize(max);
    }
}
