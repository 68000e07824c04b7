package dev.kiln.cluster.model;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes-style quantities. CPU: cores ({@code 2}, {@code 0.5}) or millicores ({@code 500m}), held as millicores.
 * Memory: bytes ({@code 1000}), binary ({@code Ki Mi Gi Ti Pi Ei}) or decimal ({@code k M G T P E}) multiples, held
 * as bytes. Quantities are never negative and must come out whole (no half millicore or byte).
 */
public final class Quantity {
    private static final Pattern SHAPE = Pattern.compile("([0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)([A-Za-z]*)");
    private static final String[] BINARY = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final String[] DECIMAL = {"k", "M", "G", "T", "P", "E"};
    private static final Map<String, BigInteger> MULTIPLIERS = multipliers();
    private static final String MEMORY_HINT = "write bytes ('1000') or a multiple: binary Ki, Mi, Gi, Ti ('512Mi')"
            + " or decimal k, M, G, T ('2G')";
    private static final String CPU_HINT = "write cores ('2', '0.5') or millicores ('500m')";

    private Quantity() {
    }

    /**
     * Millicores of a CPU quantity: {@code "2"} is 2000, {@code "0.5"} and {@code "500m"} are 500.
     *
     * @throws ClusterException {@link ClusterError#INVALID} for anything else
     */
    public static long cpu(String text) {
        Matcher m = match(text, "CPU", CPU_HINT);
        BigDecimal number = new BigDecimal(m.group(1));
        BigDecimal millis = switch (m.group(2)) {
            case "" -> number.movePointRight(3);
            case "m" -> number;
            default -> throw invalid("CPU", text, "unknown suffix '" + m.group(2) + "'", CPU_HINT);
        };
        return whole(millis, "CPU", text, "the smallest CPU unit is 1m", CPU_HINT);
    }

    /**
     * Bytes of a memory quantity: {@code "512Mi"} is 536870912, {@code "2G"} is 2000000000, {@code "1000"} is 1000.
     *
     * @throws ClusterException {@link ClusterError#INVALID} for anything else
     */
    public static long memory(String text) {
        Matcher m = match(text, "memory", MEMORY_HINT);
        BigInteger multiplier = m.group(2).isEmpty() ? BigInteger.ONE : MULTIPLIERS.get(m.group(2));
        if (multiplier == null) {
            throw invalid("memory", text, "unknown suffix '" + m.group(2) + "'", MEMORY_HINT);
        }
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(new BigDecimal(multiplier));
        return whole(bytes, "memory", text, "it is not a whole number of bytes", MEMORY_HINT);
    }

    /** The canonical short form of millicores: {@code "2"} for 2000, {@code "500m"} for 500. */
    public static String formatCpu(long millis) {
        return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
    }

    /**
     * The shortest exact form of a byte count: the largest binary or decimal unit that divides it ({@code "512Mi"},
     * {@code "2G"}), or plain bytes; binary wins a tie.
     */
    public static String formatMemory(long bytes) {
        String best = Long.toString(bytes);
        if (bytes == 0) {
            return best;
        }
        String binary = largestUnit(bytes, BINARY);
        String decimal = largestUnit(bytes, DECIMAL);
        if (decimal.length() < best.length()) {
            best = decimal;
        }
        if (binary.length() <= best.length()) {
            best = binary;
        }
        return best;
    }

    private static String largestUnit(long bytes, String[] units) {
        for (int i = units.length - 1; i >= 0; i--) {
            BigInteger[] qr = BigInteger.valueOf(bytes).divideAndRemainder(MULTIPLIERS.get(units[i]));
            if (qr[1].signum() == 0) {
                return qr[0] + units[i];
            }
        }
        return Long.toString(bytes);
    }

    private static Matcher match(String text, String what, String hint) {
        if (text == null || text.isBlank()) {
            throw invalid(what, String.valueOf(text), "it is empty", hint);
        }
        if (text.strip().startsWith("-")) {
            throw invalid(what, text, "quantities cannot be negative", hint);
        }
        Matcher m = SHAPE.matcher(text.strip());
        if (!m.matches()) {
            throw invalid(what, text, "not a number with an optional suffix", hint);
        }
        return m;
    }

    private static long whole(BigDecimal value, String what, String text, String why, String hint) {
        BigDecimal stripped = value.stripTrailingZeros();
        if (stripped.scale() > 0) {
            throw invalid(what, text, why, hint);
        }
        try {
            return stripped.longValueExact();
        } catch (ArithmeticException e) {
            throw invalid(what, text, "it is too large", hint);
        }
    }

    private static ClusterException invalid(String what, String text, String why, String hint) {
        return new ClusterException(ClusterError.INVALID, "invalid " + what + " quantity '" + text + "': " + why, hint);
    }

    private static Map<String, BigInteger> multipliers() {
        Map<String, BigInteger> m = new java.util.HashMap<>();
        for (int i = 0; i < BINARY.length; i++) {
            m.put(BINARY[i], BigInteger.TWO.pow(10 * (i + 1)));
            m.put(DECIMAL[i], BigInteger.TEN.pow(3 * (i + 1)));
        }
        return Map.copyOf(m);
    }
}
