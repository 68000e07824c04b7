package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.vmm.ByteSize;
import dev.kiln.vmm.VmmException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One value of {@code --net-rate} or {@code --disk-rate}: a token bucket, what it counts, and for networks the
 * direction it limits. The syntax is {@code [ops:][rx=|tx=]AMOUNT/REFILL[+BURST]}: AMOUNT tokens (bytes, or
 * operations after {@code ops:}) refill every REFILL, plus a one-time BURST; no direction means both.
 */
record RateSpec(Direction direction, Kind kind, Bucket bucket) {
    static final String NET_HINT = "write [rx=|tx=]BYTES/REFILL[+BURST] for bandwidth or ops:[rx=|tx=]COUNT/REFILL[+BURST]"
            + " for packets, e.g. rx=1M/1s, tx=512K/100ms+1M or ops:rx=1000/1s";
    static final String DISK_HINT = "write BYTES/REFILL[+BURST] for bandwidth or ops:COUNT/REFILL[+BURST] for requests,"
            + " e.g. 10M/1s, 1M/100ms+4M or ops:500/1s";

    private static final Pattern FORM = Pattern.compile(
            "(?<ops>ops:)?(?:(?<dir>rx|tx)=)?(?<amount>[^/+=:]+)/(?<refill>[^/+=:]+)(?:\\+(?<burst>[^/+=:]+))?");

    /** Which way a network limit applies; disks have no direction ({@link #BOTH}). */
    enum Direction { RX, TX, BOTH }

    /** What a bucket's tokens are: bytes or operations. Its JSON name is the lower-case name. */
    enum Kind {
        BANDWIDTH, OPS;

        String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Firecracker's token bucket; {@code refillTime} is whole milliseconds, as the API wants it. */
    record Bucket(long size, long oneTimeBurst, Duration refillTime) {
        ObjectNode toJson(JsonNodeFactory json) {
            return json.objectNode().put("size", size).put("oneTimeBurst", oneTimeBurst)
                    .put("refillTime", refillTime.toMillis());
        }
    }

    /** Parses a {@code --net-rate} value. @throws CliException a usage error naming the expected syntax */
    static RateSpec parseNet(String text) {
        return parse(text, "network", NET_HINT, true);
    }

    /** Parses a {@code --disk-rate} value. @throws CliException a usage error naming the expected syntax */
    static RateSpec parseDisk(String text) {
        return parse(text, "disk", DISK_HINT, false);
    }

    private static RateSpec parse(String text, String what, String hint, boolean directed) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw invalid("'" + text + "' is not a " + what + " rate limit", hint);
        }
        if (!directed && m.group("dir") != null) {
            throw invalid("'" + text + "': a disk rate limit has no direction (rx=/tx=)", hint);
        }
        Kind kind = m.group("ops") != null ? Kind.OPS : Kind.BANDWIDTH;
        Direction direction = m.group("dir") == null ? Direction.BOTH
                : m.group("dir").equals("rx") ? Direction.RX : Direction.TX;
        long size = amount(m.group("amount"), kind, text, hint);
        if (size == 0) {
            throw invalid("'" + text + "': the amount must be more than zero", hint);
        }
        long burst = m.group("burst") == null ? 0 : amount(m.group("burst"), kind, text, hint);
        Duration refill = refill(m.group("refill"), text, hint);
        return new RateSpec(direction, kind, new Bucket(size, burst, refill));
    }

    private static long amount(String s, Kind kind, String text, String hint) {
        if (kind == Kind.OPS) {
            if (!s.matches("\\d{1,18}")) {
                throw invalid("'" + text + "': '" + s + "' is not a count of operations", hint);
            }
            return Long.parseLong(s);
        }
        try {
            return ByteSize.parse(s).bytes();
        } catch (VmmException | ArithmeticException e) {
            throw invalid("'" + text + "': '" + s + "' is not a size in bytes (like 512K, 1M or 1048576)", hint);
        }
    }

    private static Duration refill(String s, String text, String hint) {
        Duration d;
        try {
            d = Durations.parse(s);
        } catch (CliException e) {
            throw invalid("'" + text + "': '" + s + "' is not a refill time (like 100ms or 1s)", hint);
        }
        if (d.toMillis() < 1 || d.toNanos() % 1_000_000 != 0) {
            throw invalid("'" + text + "': the refill time must be a whole number of milliseconds, at least 1ms", hint);
        }
        return d;
    }

    /** The API's {@code netRate} object for these specs, or empty when there are none. */
    static Optional<ObjectNode> netRateJson(List<RateSpec> specs, JsonNodeFactory json) {
        if (specs.isEmpty()) return Optional.empty();
        Map<Direction, ObjectNode> limiters = new EnumMap<>(Direction.class);
        for (RateSpec spec : specs) {
            for (Direction d : spec.direction() == Direction.BOTH ? List.of(Direction.RX, Direction.TX)
                    : List.of(spec.direction())) {
                ObjectNode limiter = limiters.computeIfAbsent(d, x -> json.objectNode());
                put(limiter, spec, json, "--net-rate sets the " + d.name().toLowerCase(Locale.ROOT) + " "
                        + spec.kind().jsonName() + " limit twice", NET_HINT);
            }
        }
        ObjectNode netRate = json.objectNode();
        limiters.forEach((d, limiter) -> netRate.set(d.name().toLowerCase(Locale.ROOT), limiter));
        return Optional.of(netRate);
    }

    /** The API's {@code diskRate} object (a RateLimiter) for these specs, or empty when there are none. */
    static Optional<ObjectNode> diskRateJson(List<RateSpec> specs, JsonNodeFactory json) {
        if (specs.isEmpty()) return Optional.empty();
        ObjectNode limiter = json.objectNode();
        for (RateSpec spec : specs) {
            put(limiter, spec, json, "--disk-rate sets the " + spec.kind().jsonName() + " limit twice", DISK_HINT);
        }
        return Optional.of(limiter);
    }

    private static void put(ObjectNode limiter, RateSpec spec, JsonNodeFactory json, String twice, String hint) {
        if (limiter.has(spec.kind().jsonName())) {
            throw invalid(twice, "give one bandwidth and one ops limit at most; " + hint);
        }
        limiter.set(spec.kind().jsonName(), spec.bucket().toJson(json));
    }

    private static CliException invalid(String message, String hint) {
        return new CliException("INVALID_SPEC", message, hint, ExitCodes.USAGE);
    }
}
