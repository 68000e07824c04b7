package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput through real kiln taps without vms: the test opens two taps like a VMM does and plays both guests,
 * sending layer-2 frames from vm-a to vm-b over the bridge. One run compares unlimited against an rx limit on
 * vm-b (tbf on its tap) and a tx limit on vm-a (ingress redirect to its ifb, tbf there).
 */
class ThroughputTest {
    private static final long LIMIT_BYTES_PER_SECOND = 1_000_000;
    private static final NicLimits NONE = NicLimits.none();
    private static final RateLimiter ONE_MB_PER_SECOND =
            RateLimiter.bandwidth(TokenBucket.of(LIMIT_BYTES_PER_SECOND / 10, Duration.ofMillis(100)));
    private static final int FRAME_BYTES = 1000;

    private final TestHost host = new TestHost();
    private HostNetwork network;
    private NetworkConfig config;

    @TempDir
    Path stateDir;

    @AfterEach
    void cleanUp() {
        try {
            if (network != null) {
                network.teardown();
            }
        } finally {
            host.forceCleanup(config);
        }
    }

    @Test
    void rxAndTxLimitsShapeFramesToTheConfiguredRate() throws Exception {
        config = host.freshConfig(stateDir);
        network = HostNetwork.open(config);
        VmNetwork a = network.attach("vm-a", NONE);
        VmNetwork b = network.attach("vm-b", NONE);
        try (TapHandle tapA = TapHandle.open(a.tapName()); TapHandle tapB = TapHandle.open(b.tapName())) {
            double unlimited = measure(tapA, tapB, a, b);

            network.updateLimits("vm-b", new NicLimits(ONE_MB_PER_SECOND, RateLimiter.none()));
            double rxLimited = measure(tapA, tapB, a, b);

            network.updateLimits("vm-b", NONE);
            network.updateLimits("vm-a", new NicLimits(RateLimiter.none(), ONE_MB_PER_SECOND));
            double txLimited = measure(tapA, tapB, a, b);

            System.out.printf("throughput B/s: unlimited %.0f, rx-limited %.0f, tx-limited %.0f (limit %d)%n",
                    unlimited, rxLimited, txLimited, LIMIT_BYTES_PER_SECOND);
            assertThat(unlimited).isGreaterThan(3.0 * LIMIT_BYTES_PER_SECOND);
            assertThat(rxLimited).isBetween(0.8 * LIMIT_BYTES_PER_SECOND, 1.2 * LIMIT_BYTES_PER_SECOND);
            assertThat(txLimited).isBetween(0.8 * LIMIT_BYTES_PER_SECOND, 1.2 * LIMIT_BYTES_PER_SECOND);
        }
    }

    /** Floods frames from a to b for a while; returns the bytes per second b received after a warm-up. */
    private static double measure(TapHandle from, TapHandle to, VmNetwork a, VmNetwork b)
            throws InterruptedException {
        // a UDP datagram from a's own MAC and address (the guest guard drops anything else a tap sends)
        byte[] frame = Frames.udp(a.mac(), b.mac(), a.address().address(), b.address().address(),
                new byte[FRAME_BYTES - 42]);
        var running = new AtomicBoolean(true);
        Thread sender = Thread.ofPlatform().start(() -> {
            while (running.get()) {
                from.write(frame);
            }
        });
        try {
            long warmUpEnd = System.nanoTime() + Duration.ofMillis(500).toNanos();
            while (System.nanoTime() < warmUpEnd) {
                drain(to);
            }
            long start = System.nanoTime();
            long end = start + Duration.ofSeconds(2).toNanos();
            long bytes = 0;
            while (System.nanoTime() < end) {
                bytes += drain(to);
            }
            return bytes / ((System.nanoTime() - start) / 1e9);
        } finally {
            running.set(false);
            sender.join();
            Thread.sleep(300);
            drain(to);
        }
    }

    private static long drain(TapHandle tap) {
        long bytes = 0;
        for (var next = tap.poll(); next.isPresent(); next = tap.poll()) {
            if (Frames.etherType(next.get()) == Frames.ETH_IPV4 && next.get().length == FRAME_BYTES) {
                bytes += next.get().length;
            }
        }
        Thread.onSpinWait();
        return bytes;
    }
}
