package dev.kiln.cluster.sched;

import dev.kiln.api.ApiException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/** Argument checks shared by the records of this package. */
final class Names {
    private Names() {}

    /** {@code value} if it is a non-blank name; otherwise an {@link ApiException} naming {@code what}. */
    static String require(String value, String what) {
        Objects.requireNonNull(value, what);
        if (value.isBlank()) {
            throw new ApiException(what + " must not be blank", "give every " + what + " a name");
        }
        return value;
    }

    /** {@code capacity} if it is not negative. */
    static Capacity nonNegative(Capacity capacity, String what) {
        Objects.requireNonNull(capacity, what);
        if (!capacity.isNonNegative()) {
            throw new ApiException(what + " must not be negative: " + capacity, "use amounts of zero or more");
        }
        return capacity;
    }

    /** An unmodifiable copy in key order (so that it prints the same every time); no null keys or values. */
    static <V> SortedMap<String, V> sortedCopy(Map<String, V> map, String what) {
        Objects.requireNonNull(map, what);
        TreeMap<String, V> copy = new TreeMap<>();
        map.forEach((k, v) -> copy.put(Objects.requireNonNull(k, what + " key"), Objects.requireNonNull(v, what)));
        return Collections.unmodifiableSortedMap(copy);
    }
}
