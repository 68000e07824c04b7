package dev.kiln.vmm;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** A VM's stable identity: lower-case letters, digits and dashes, at most 32 characters. */
public record VmId(String value) {
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");
    private static final SecureRandom RANDOM = new SecureRandom();

    public VmId {
        if (value == null || !VALID.matcher(value).matches()) {
            throw new VmmException(VmmError.INVALID_SPEC,
                    "invalid VM id '" + value + "'", "use 1-32 lower-case letters, digits or dashes");
        }
    }

    public static VmId random() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return new VmId(HexFormat.of().formatHex(bytes));
    }

    @Override
    public String toString() {
        return value;
    }
}
