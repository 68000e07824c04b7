package dev.kiln.cli;

/** The checks of {@code --warm-pool N} and {@code --warm-pool-max M}, shared by {@code kiln up} and {@code kiln daemon}. */
final class WarmPoolSize {
    private WarmPoolSize() {
    }

    static void check(int warmPool, Integer warmPoolMax) {
        if (warmPool < 0) {
            throw new CliException("BAD_REQUEST", "--warm-pool must be 0 or more, not " + warmPool, "",
                    ExitCodes.USAGE);
        }
        if (warmPoolMax != null && warmPoolMax < warmPool) {
            throw new CliException("BAD_REQUEST", "--warm-pool-max " + warmPoolMax + " is below --warm-pool "
                    + warmPool, "give a maximum of at least " + warmPool + ", or leave it out for a fixed size",
                    ExitCodes.USAGE);
        }
    }
}
