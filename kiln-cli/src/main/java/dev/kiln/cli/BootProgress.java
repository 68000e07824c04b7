package dev.kiln.cli;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * While a blocking call runs, rewrites one terminal line every second: {@code booting web1 ... 4 s}. Closing it
 * stops the ticking and erases the line. A disabled one does nothing.
 */
final class BootProgress implements AutoCloseable {
    private final Optional<ScheduledExecutorService> ticker;
    private final PrintWriter err;

    private BootProgress(Optional<ScheduledExecutorService> ticker, PrintWriter err) {
        this.ticker = ticker;
        this.err = err;
    }

    static BootProgress start(boolean enabled, PrintWriter err, String what, Clock clock) {
        if (!enabled) return new BootProgress(Optional.empty(), err);
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kiln-progress");
            t.setDaemon(true);
            return t;
        });
        Instant started = clock.instant();
        s.scheduleAtFixedRate(() -> {
            long seconds = Duration.between(started, clock.instant()).toSeconds();
            err.print("\r" + what + " ... " + seconds + " s");
            err.flush();
        }, 1, 1, TimeUnit.SECONDS);
        return new BootProgress(Optional.of(s), err);
    }

    @Override
    public void close() {
        ticker.ifPresent(s -> {
            s.shutdownNow();
            try {
                s.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            err.print("\r\033[2K");
            err.flush();
        });
    }
}
