package dev.kiln.host;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** The daemon's Prometheus metrics: VMs by phase, boot durations, failures by kind. */
final class HostMetrics {
    private static final List<String> PHASES = List.of("creating", "booting", "running", "paused", "stopping", "stopped", "failed");
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Timer boot = Timer.builder("kiln.vm.boot").description("create to guest ready")
            .publishPercentiles(0.5, 0.9).register(registry);

    void bindPhases(Supplier<Map<String, Long>> counts) {
        for (String phase : PHASES) {
            Gauge.builder("kiln.vms", () -> counts.get().getOrDefault(phase, 0L)).tag("phase", phase)
                    .description("VMs on this host by phase").register(registry);
        }
    }

    void bootTime(Duration d) {
        boot.record(d);
    }

    void failure(String kind) {
        Counter.builder("kiln.vm.failures").tag("kind", kind).description("VM failures by kind (start, boot, died)")
                .register(registry).increment();
    }

    /** The registry itself, for other parts of the daemon that export metrics (functions). */
    io.micrometer.core.instrument.MeterRegistry registry() {
        return registry;
    }

    String scrape() {
        return registry.scrape();
    }
}
