package dev.kiln.vmm;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A size in bytes, parsed from forms like {@code 256M}, {@code 1G}, {@code 512MiB} or a plain byte count. */
public record ByteSize(long bytes) implements Comparable<ByteSize> {
    private static final Pattern FORM = Pattern.compile("(\\d+)\\s*(?:([KMGT])(?:I?B)?|B)?", Pattern.CASE_INSENSITIVE);

    public ByteSize {
        if (bytes < 0) {
            throw new VmmException(VmmError.INVALID_SPEC, "negative size " + bytes, "sizes are zero or more bytes");
        }
    }

    public static ByteSize ofMebibytes(long mib) {
        return new ByteSize(mib * 1024 * 1024);
    }

    public static ByteSize parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new VmmException(VmmError.INVALID_SPEC, "cannot read size '" + text + "'",
                    "write a size like 256M, 1G or 1048576");
        }
        String unit = m.group(2) == null ? "" : m.group(2).toUpperCase(Locale.ROOT);
        int shift = switch (unit) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        try {
            return new ByteSize(Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift));
        } catch (NumberFormatException | ArithmeticException tooLarge) {
            throw new VmmException(VmmError.INVALID_SPEC, "size '" + text + "' is too large",
                    "write a size like 256M or 1G (at most 8388607T)");
        }
    }

    public long mebibytes() {
        return bytes >> 20;
    }

    @Override
    public int compareTo(ByteSize o) {
        return Long.compare(bytes, o.bytes);
    }

    @Override
    public String toString() {
        if (bytes % (1L << 30) == 0 && bytes > 0) return (bytes >> 30) + "G";
        if (bytes % (1L << 20) == 0 && bytes > 0) return (bytes >> 20) + "M";
        if (bytes % (1L << 10) == 0 && bytes > 0) return (bytes >> 10) + "K";
        return Long.toString(bytes);
    }
}
