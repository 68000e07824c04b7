package dev.kiln.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as the API and the user write them ({@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5h}). */
final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

    private Durations() {
    }

    /** @throws CliException (INVALID_SPEC, a usage error) if the text is not a number followed by ms, s, m or h */
    static Duration parse(String text) {
        Matcher m = FORM.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new CliException("INVALID_SPEC", "'" + text + "' is not a duration",
                    "write a number and a unit (ms, s, m or h), e.g. 500ms, 10s, 2m", ExitCodes.USAGE);
        }
        BigDecimal unitNanos = switch (m.group(2)) {
            case "ms" -> BigDecimal.valueOf(1_000_000L);
            case "s" -> BigDecimal.valueOf(1_000_000_000L);
            case "m" -> BigDecimal.valueOf(60_000_000_000L);
            default -> BigDecimal.valueOf(3_600_000_000_000L);
        };
        return Duration.ofNanos(new BigDecimal(m.group(1)).multiply(unitNanos).longValueExact());
    }

    /** The API's form: whole seconds as {@code 10s}, anything else in milliseconds ({@code 1500ms}). */
    static String toApi(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    /** For people: {@code 850 ms}, {@code 4.3 s}, {@code 2 min 5 s}, {@code 3 h 12 min}. */
    static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) return ms + " ms";
        if (ms < 60_000) return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        long s = d.toSeconds();
        if (s < 3600) return s / 60 + " min " + s % 60 + " s";
        return s / 3600 + " h " + s % 3600 / 60 + " min";
    }

    /** Compact, for table columns: {@code 12s}, {@code 5m}, {@code 3h}, {@code 2d}. */
    static String age(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) return s + "s";
        if (s < 3600) return s / 60 + "m";
        if (s < 86_400) return s / 3600 + "h";
        return s / 86_400 + "d";
    }
}
