package dev.kiln.cluster.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A cluster-sized snapshot for the benchmark and the scale test: bins in domains of ten (nodes on hosts), a tenth
 * of them with {@code disktype=ssd}, one in fifty cordoned, spread over three zones; items in Deployments of 20
 * replicas, each Deployment with its own requests (250m–2 CPUs, 256Mi–4Gi), one in ten selecting ssd bins. About
 * two thirds of the cluster's memory is asked for, so bins fill up unevenly as the run goes on.
 */
final class Workloads {
    private static final long MI = 1L << 20;
    private static final long GI = 1L << 30;

    private Workloads() {}

    static Snapshot cluster(int binCount, int itemCount, long seed) {
        Random random = new Random(seed);
        List<Bin> bins = new ArrayList<>(binCount);
        for (int i = 0; i < binCount; i++) {
            Map<String, String> labels = i % 10 == 3
                    ? Map.of("zone", "z" + i % 3, "disktype", "ssd")
                    : Map.of("zone", "z" + i % 3);
            bins.add(Bin.of("node-%04d".formatted(i), Capacity.of(16_000, 32 * GI))
                    .inDomain("host-%03d".formatted(i / 10))
                    .withLabels(labels)
                    .withAllocated(Capacity.of(random.nextInt(8) * 250L, random.nextInt(8) * 512 * MI))
                    .withSchedulable(i % 50 != 7));
        }
        List<Item> items = new ArrayList<>(itemCount);
        int replicas = 20;
        for (int d = 0; d * replicas < itemCount; d++) {
            Capacity requests = Capacity.of(250L * (1 + random.nextInt(8)), 256 * MI * (1 + random.nextInt(16)));
            Map<String, String> selector = d % 10 == 0 ? Map.of("disktype", "ssd") : Map.of();
            for (int r = 0; r < replicas && d * replicas + r < itemCount; r++) {
                String group = "deploy-%04d".formatted(d);
                items.add(Item.of(group + "-" + r, requests, group).withSelector(selector));
            }
        }
        return new Snapshot(bins, items);
    }
}
