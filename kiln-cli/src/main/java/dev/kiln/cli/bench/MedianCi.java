package dev.kiln.cli.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The median of a sample and its non-parametric confidence interval, for benchmark reports (FunctionBench, as SeBS
 * reports them): the interval is a pair of order statistics {@code [x(j), x(k)]} with {@code k = n + 1 - j}, where
 * {@code j} is the largest rank with {@code P(Binomial(n, 1/2) < j) <= (1 - level) / 2}. It makes no assumption
 * about the distribution, so it holds for skewed latencies, and needs no resampling. With too few samples for the
 * level (fewer than 6 at 95 %), there is no interval.
 *
 * @param median the sample median (the mean of the two middle values when n is even)
 * @param low    the interval's lower end, NaN when there is none
 * @param high   the interval's upper end, NaN when there is none
 * @param level  the confidence the interval has at least (it is often higher: order statistics are discrete)
 * @param lowRank  1-based rank of {@code low} in the sorted sample; 0 when there is no interval
 * @param highRank 1-based rank of {@code high}; 0 when there is no interval
 */
public record MedianCi(int n, double median, double low, double high, double level, int lowRank, int highRank) {

    public static MedianCi of(Collection<? extends Number> sample, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("the level must be between 0 and 1, not " + level);
        }
        List<Double> x = new ArrayList<>();
        sample.forEach(v -> x.add(v.doubleValue()));
        if (x.isEmpty()) {
            throw new IllegalArgumentException("no samples");
        }
        x.sort(Double::compare);
        int n = x.size();
        double median = n % 2 == 1 ? x.get(n / 2) : (x.get(n / 2 - 1) + x.get(n / 2)) / 2;
        int j = lowRank(n, level);
        if (j < 1) {
            return new MedianCi(n, median, Double.NaN, Double.NaN, level, 0, 0);
        }
        int k = n + 1 - j;
        return new MedianCi(n, median, x.get(j - 1), x.get(k - 1), level, j, k);
    }

    /** The largest j >= 1 with P(B < j) <= (1 - level) / 2 for B ~ Binomial(n, 1/2); 0 when even j = 1 fails. */
    static int lowRank(int n, double level) {
        double tail = (1 - level) / 2;
        double cumulative = 0; // P(B <= i - 1) while i counts up
        int best = 0;
        double p = Math.pow(0.5, n); // P(B = 0)
        for (int i = 1; i <= (n + 1) / 2; i++) {
            cumulative += p; // now P(B <= i - 1) = P(B < i)
            if (cumulative > tail) {
                break;
            }
            best = i;
            p = p * (n - (i - 1)) / i; // P(B = i)
        }
        return best;
    }

    /** The coverage the interval really has: 1 - 2 P(B < j). */
    public double coverage() {
        if (lowRank == 0) {
            return 0;
        }
        double p = Math.pow(0.5, n);
        double below = 0;
        for (int i = 0; i < lowRank; i++) {
            below += p;
            p = p * (n - i) / (i + 1);
        }
        return 1 - 2 * below;
    }
}
