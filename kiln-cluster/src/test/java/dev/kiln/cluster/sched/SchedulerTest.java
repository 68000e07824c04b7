package dev.kiln.cluster.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private static final long MI = 1L << 20;
    private static final long GI = 1L << 30;
    private static final Capacity NODE = Capacity.of(4000, 8 * GI);
    private static final Capacity SMALL = Capacity.of(1000, GI);

    private final Scheduler scheduler = Scheduler.forNodes();

    private static List<Item> replicas(String group, int count, Capacity requests) {
        return IntStream.range(0, count).mapToObj(i -> Item.of(group + "-" + i, requests, group)).toList();
    }

    private static Map<String, Long> perBin(Placement placement) {
        return placement.bindings().values().stream()
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    @Test
    void threeReplicasOnTwoBinsSpreadTwoAndOne() {
        Placement placement = scheduler.place(new Snapshot(
                List.of(Bin.of("a", NODE), Bin.of("b", NODE)), replicas("web", 3, SMALL)));

        assertThat(placement.unschedulable()).isEmpty();
        assertThat(placement.bindings()).containsExactlyInAnyOrderEntriesOf(
                Map.of("web-0", "a", "web-1", "b", "web-2", "a"));
    }

    @Test
    void threeReplicasOnThreeBinsTakeOneEach() {
        Placement placement = scheduler.place(new Snapshot(
                List.of(Bin.of("a", NODE), Bin.of("b", NODE), Bin.of("c", NODE)), replicas("web", 3, SMALL)));

        assertThat(perBin(placement)).containsExactlyInAnyOrderEntriesOf(Map.of("a", 1L, "b", 1L, "c", 1L));
    }

    @Test
    void spreadGroupsAreIndependent() {
        Bin big = Bin.of("a", Capacity.of(4000, 16 * GI));
        Bin small = Bin.of("b", Capacity.of(4000, 4 * GI));
        List<Item> items = List.of(Item.of("db-0", SMALL, "db").boundTo("a"), Item.of("web-0", SMALL, "web"));

        Placement placement = scheduler.place(new Snapshot(List.of(big, small), items));

        // a db item on a does not push web away from it: a still has more memory free
        assertThat(placement.bindings()).containsExactly(Map.entry("web-0", "a"));
    }

    @Test
    void selectorIsHonoured() {
        Bin hdd = Bin.of("a-hdd", Capacity.of(64_000, 256 * GI)).withLabels(Map.of("disktype", "hdd"));
        Bin ssd = Bin.of("b-ssd", NODE).withLabels(Map.of("disktype", "ssd", "zone", "x"));
        Item item = Item.of("db-0", SMALL, "db").withSelector(Map.of("disktype", "ssd"));

        Placement placement = scheduler.place(new Snapshot(List.of(hdd, ssd), List.of(item)));

        assertThat(placement.bindings()).containsExactly(Map.entry("db-0", "b-ssd"));
    }

    @Test
    void boundItemsCountAgainstTheirBinsAndTheirGroup() {
        Bin a = Bin.of("a", Capacity.of(4000, 4 * GI));
        Bin b = Bin.of("b", Capacity.of(4000, 4 * GI));
        List<Item> items = List.of(
                Item.of("web-0", SMALL, "web").boundTo("a"),
                Item.of("big", Capacity.of(1000, 3 * GI), "batch").boundTo("b"),
                Item.of("web-1", SMALL, "web"),
                Item.of("other", Capacity.of(500, 2 * GI), "misc"));

        Placement placement = scheduler.place(new Snapshot(List.of(a, b), items));

        // "other" (2Gi, larger, so first) fits only a; web-1 then avoids web-0's bin a
        assertThat(placement.bindings()).containsExactlyInAnyOrderEntriesOf(Map.of("web-1", "b", "other", "a"));
        assertThat(placement.unschedulable()).isEmpty();
    }

    @Test
    void allocatedCapacityIsNotFree() {
        Bin a = Bin.of("a", Capacity.of(4000, 4 * GI)).withAllocated(Capacity.of(0, 3 * GI + 768 * MI));
        Placement placement = scheduler.place(new Snapshot(List.of(a),
                List.of(Item.of("x", Capacity.of(100, 512 * MI), "x"))));

        assertThat(placement.reasonFor("x").orElseThrow().reason())
                .isEqualTo("0/1 nodes fit: 1 insufficient memory (needs 512Mi, largest free 256Mi)");
    }

    @Test
    void itemBoundToAMissingBinIsIgnored() {
        Placement placement = scheduler.place(new Snapshot(List.of(Bin.of("a", Capacity.of(1000, GI))),
                List.of(Item.of("ghost", Capacity.of(1000, GI), "g").boundTo("gone"),
                        Item.of("x", Capacity.of(1000, GI), "g"))));

        assertThat(placement.bindings()).containsExactly(Map.entry("x", "a"));
        assertThat(placement.unschedulable()).isEmpty();
    }

    @Test
    void largerItemsArePlacedFirst() {
        Bin x = Bin.of("x", Capacity.of(4000, 4 * GI));
        Bin y = Bin.of("y", Capacity.of(4000, 2 * GI));
        // in name order "a" would take x (more free memory left) and "b" would then fit nowhere
        List<Item> items = List.of(Item.of("a", Capacity.of(100, 2 * GI), "a"),
                Item.of("b", Capacity.of(100, 4 * GI), "b"));

        Placement placement = scheduler.place(new Snapshot(List.of(x, y), items));

        assertThat(placement.bindings()).containsExactlyInAnyOrderEntriesOf(Map.of("a", "y", "b", "x"));
    }

    @Test
    void leastAllocatedBinWins() {
        Bin busy = Bin.of("a", NODE).withAllocated(Capacity.of(0, 6 * GI));
        Bin idle = Bin.of("b", NODE).withAllocated(Capacity.of(0, 2 * GI));
        Placement placement = scheduler.place(new Snapshot(List.of(busy, idle), List.of(Item.of("x", SMALL, "x"))));

        assertThat(placement.bindings()).containsExactly(Map.entry("x", "b"));
    }

    @Test
    void tooBigForEveryBinHasItsOwnReason() {
        Placement placement = scheduler.place(new Snapshot(
                List.of(Bin.of("a", Capacity.of(2000, 4 * GI)), Bin.of("b", Capacity.of(1500, 2 * GI))),
                List.of(Item.of("huge", Capacity.of(4000, 8 * GI), "huge"))));

        assertThat(placement.bindings()).isEmpty();
        assertThat(placement.reasonFor("huge").orElseThrow().reason())
                .isEqualTo("requests cpu 4, memory 8Gi exceed every node's capacity (largest: cpu 2, memory 4Gi)");
    }

    @Test
    void mixedReasonsAreCounted() {
        Map<String, String> ssd = Map.of("disktype", "ssd");
        List<Bin> bins = List.of(
                Bin.of("a", Capacity.of(4000, 4 * GI)).withLabels(ssd).withAllocated(Capacity.of(0, 3840 * MI)),
                Bin.of("b", Capacity.of(4000, 4 * GI)).withLabels(ssd).withAllocated(Capacity.of(3500, 3968 * MI)),
                Bin.of("c", NODE).withLabels(ssd).withSchedulable(false),
                Bin.of("d", NODE).withLabels(Map.of("disktype", "hdd")));
        Item item = Item.of("db-0", Capacity.of(1000, 512 * MI), "db").withSelector(ssd);

        Placement placement = scheduler.place(new Snapshot(bins, List.of(item)));

        assertThat(placement.reasonFor("db-0").orElseThrow().reason()).isEqualTo(
                "0/4 nodes fit: 1 insufficient cpu (needs 1, largest free 500m); 2 insufficient memory (needs 512Mi,"
                        + " largest free 256Mi); 1 not schedulable; 1 does not match the selector disktype=ssd");
    }

    @Test
    void unschedulableBinIsSkipped() {
        Bin cordoned = Bin.of("a", Capacity.of(64_000, 64 * GI)).withSchedulable(false);
        Bin small = Bin.of("b", Capacity.of(2000, 2 * GI));
        List<Item> items = List.of(Item.of("fits", SMALL, "x"), Item.of("too-big", Capacity.of(1000, 4 * GI), "y"));

        Placement placement = scheduler.place(new Snapshot(List.of(cordoned, small), items));

        assertThat(placement.bindings()).containsExactly(Map.entry("fits", "b"));
        assertThat(placement.reasonFor("too-big").orElseThrow().reason())
                .isEqualTo("0/2 nodes fit: 1 insufficient memory (needs 4Gi, largest free 2Gi); 1 not schedulable");
    }

    @Test
    void boundItemsStillCountOnAnUnschedulableBin() {
        List<Bin> bins = List.of(Bin.of("a", NODE).inDomain("host-1").withSchedulable(false),
                Bin.of("b", NODE).inDomain("host-1"), Bin.of("c", NODE).inDomain("host-2"));
        List<Item> items = List.of(Item.of("web-0", SMALL, "web").boundTo("a"), Item.of("web-1", SMALL, "web"));

        Placement placement = scheduler.place(new Snapshot(bins, items));

        assertThat(placement.bindings()).containsExactly(Map.entry("web-1", "c"));
    }

    @Test
    void replicasSpreadOverDomains() {
        Capacity node = Capacity.of(2000, 4 * GI);
        List<Bin> bins = List.of(Bin.of("a", node).inDomain("host-1"), Bin.of("b", node).inDomain("host-1"),
                Bin.of("c", node).inDomain("host-2"), Bin.of("d", node).inDomain("host-2"));

        Placement placement = scheduler.place(new Snapshot(bins, replicas("web", 2, SMALL)));

        // by name alone the second replica would go to b, beside the first on host-1
        assertThat(placement.bindings()).containsExactlyInAnyOrderEntriesOf(Map.of("web-0", "a", "web-1", "c"));
    }

    @Test
    void domainCountsIncludeBoundItems() {
        Capacity node = Capacity.of(2000, 4 * GI);
        List<Bin> bins = List.of(Bin.of("a", node).inDomain("host-1"), Bin.of("b", node).inDomain("host-1"),
                Bin.of("c", node).inDomain("host-2"));
        List<Item> items = List.of(Item.of("web-0", SMALL, "web").boundTo("a"), Item.of("web-1", SMALL, "web"),
                Item.of("web-2", SMALL, "web"));

        Placement placement = scheduler.place(new Snapshot(bins, items));

        // web-1 leaves host-1 (web-0 is there); web-2 then prefers the empty bin b to a second one on c
        assertThat(placement.bindings()).containsExactlyInAnyOrderEntriesOf(Map.of("web-1", "c", "web-2", "b"));
    }

    @Test
    void orderOfTheListsDoesNotMatter() {
        List<Bin> bins = new ArrayList<>(IntStream.range(0, 7)
                .mapToObj(i -> Bin.of("n" + i, NODE).inDomain("h" + i % 3)).toList());
        List<Item> items = new ArrayList<>(replicas("web", 9, SMALL));
        items.addAll(replicas("db", 5, Capacity.of(2000, 2 * GI)));
        Placement first = scheduler.place(new Snapshot(bins, items));
        Collections.reverse(bins);
        Collections.reverse(items);

        assertThat(scheduler.place(new Snapshot(bins, items))).isEqualTo(first);
    }

    @Test
    void noBinsAtAll() {
        Placement placement = Scheduler.forHosts().place(new Snapshot(List.of(), List.of(Item.of("n1", SMALL, "p"))));

        assertThat(placement.reasonFor("n1").orElseThrow().reason()).isEqualTo("0/0 hosts fit: there are no hosts");
    }

    @Test
    void hostsSpeakOfHosts() {
        Placement placement = Scheduler.forHosts().place(new Snapshot(
                List.of(Bin.of("h1", Capacity.of(2000, 4 * GI))),
                List.of(Item.of("pool-a-0", Capacity.of(4000, 2 * GI), "pool-a"))));

        assertThat(placement.reasonFor("pool-a-0").orElseThrow().reason())
                .isEqualTo("requests cpu 4, memory 2Gi exceed every host's capacity (largest: cpu 2, memory 4Gi)");
    }

    @Test
    void zeroMemoryBinsTakeZeroMemoryItems() {
        Placement placement = scheduler.place(new Snapshot(List.of(Bin.of("a", Capacity.of(1000, 0))),
                List.of(Item.of("x", Capacity.of(500, 0), "x"))));

        assertThat(placement.bindings()).containsExactly(Map.entry("x", "a"));
    }
}
