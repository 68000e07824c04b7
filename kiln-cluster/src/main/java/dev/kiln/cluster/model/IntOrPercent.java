package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;

/**
 * A count ({@code 1}) or a percentage of the replicas ({@code "25%"}), as in a rolling update's maxSurge and
 * maxUnavailable. In manifests a count is a number and a percentage a string.
 */
public sealed interface IntOrPercent permits IntOrPercent.Count, IntOrPercent.Percent {
    /** A fixed number. */
    record Count(int value) implements IntOrPercent {
        @Override
        public int resolve(int replicas, boolean roundUp) {
            return value;
        }

        @Override
        public Object jsonValue() {
            return value;
        }

        @Override
        public String toString() {
            return Integer.toString(value);
        }
    }

    /** A percentage of the replicas. */
    record Percent(int percent) implements IntOrPercent {
        @Override
        public int resolve(int replicas, boolean roundUp) {
            long scaled = (long) replicas * percent;
            return (int) (roundUp ? Math.ceilDiv(scaled, 100) : Math.floorDiv(scaled, 100));
        }

        @Override
        public Object jsonValue() {
            return percent + "%";
        }

        @Override
        public String toString() {
            return percent + "%";
        }
    }

    public static IntOrPercent count(int value) {
        return new Count(value);
    }

    public static IntOrPercent percent(int percent) {
        return new Percent(percent);
    }

    /**
     * Parses {@code "3"} or {@code "25%"}.
     *
     * @throws ClusterException {@link ClusterError#INVALID} for anything else
     */
    static IntOrPercent parse(String text) {
        String t = text.strip();
        try {
            return t.endsWith("%") ? new Percent(Integer.parseInt(t.substring(0, t.length() - 1)))
                    : new Count(Integer.parseInt(t));
        } catch (NumberFormatException e) {
            throw new ClusterException(ClusterError.INVALID, "invalid count or percentage '" + text + "'",
                    "write a whole number ('1') or a percentage ('25%')");
        }
    }

    /** The absolute number for {@code replicas}; a percentage is rounded up or down as asked. */
    int resolve(int replicas, boolean roundUp);

    /** The manifest form: an {@link Integer} or a {@code "25%"} string. */
    @JsonValue
    Object jsonValue();

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    private static IntOrPercent fromJson(Object value) {
        return switch (value) {
            case Integer i -> new Count(i);
            case String s -> parse(s);
            default -> throw new ClusterException(ClusterError.INVALID, "invalid count or percentage '" + value + "'",
                    "write a whole number ('1') or a percentage ('25%')");
        };
    }
}
