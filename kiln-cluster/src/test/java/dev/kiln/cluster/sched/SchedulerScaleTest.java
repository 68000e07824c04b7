package dev.kiln.cluster.sched;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The benchmark's workload as a test: all of it placed, nothing overcommitted, and no quadratic blow-up. */
class SchedulerScaleTest {
    @Test
    void placesTenThousandItemsOnAThousandBins() {
        Snapshot snapshot = Workloads.cluster(SchedulerBenchmark.BINS, SchedulerBenchmark.ITEMS, 42);
        Scheduler scheduler = Scheduler.forNodes();
        scheduler.place(snapshot); // warm up

        long start = System.nanoTime();
        Placement placement = scheduler.place(snapshot);
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(placement.bindings()).hasSize(SchedulerBenchmark.ITEMS);
        Map<String, Item> items = snapshot.items().stream().collect(Collectors.toMap(Item::name, Function.identity()));
        Map<String, Capacity> load = new HashMap<>();
        placement.bindings().forEach((item, bin) -> load.merge(bin, items.get(item).requests(), Capacity::plus));
        snapshot.bins().forEach(bin -> assertThat(load.getOrDefault(bin.name(), Capacity.ZERO)
                .fits(bin.capacity().minus(bin.allocated()))).isTrue());
        // a generous bound, only to catch an accidental O(items² × bins); the benchmark measures properly
        assertThat(took).isLessThan(Duration.ofSeconds(10));
    }
}
