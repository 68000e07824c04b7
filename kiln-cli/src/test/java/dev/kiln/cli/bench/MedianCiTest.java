package dev.kiln.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The median's order-statistic confidence interval against known values (Le Boudec's table, exact binomials). */
class MedianCiTest {

    private static List<Integer> oneTo(int n) {
        return IntStream.rangeClosed(1, n).boxed().toList();
    }

    @Test
    void ranksMatchTheKnownTableAt95Percent() {
        // Le Boudec, Performance Evaluation of Computer and Communication Systems, table 2.1 (n: j, k)
        int[][] table = {{6, 1, 6}, {10, 2, 9}, {20, 6, 15}, {30, 10, 21}, {50, 18, 33}, {100, 40, 61}};
        for (int[] row : table) {
            MedianCi ci = MedianCi.of(oneTo(row[0]), 0.95);
            assertThat(ci.lowRank()).as("n=%d", row[0]).isEqualTo(row[1]);
            assertThat(ci.highRank()).as("n=%d", row[0]).isEqualTo(row[2]);
            assertThat(ci.low()).isEqualTo(row[1]);
            assertThat(ci.high()).isEqualTo(row[2]);
            assertThat(ci.coverage()).as("n=%d", row[0]).isGreaterThanOrEqualTo(0.95);
        }
    }

    @Test
    void exactCoverageOfTenSamples() {
        // P(B <= 1) for B ~ Bin(10, 1/2) is 11/1024, so [x(2), x(9)] covers 1 - 22/1024
        assertThat(MedianCi.of(oneTo(10), 0.95).coverage()).isCloseTo(1 - 22 / 1024.0, offset(1e-12));
    }

    @Test
    void medianOfOddAndEvenSamplesWhateverTheirOrder() {
        assertThat(MedianCi.of(List.of(9, 1, 5), 0.95).median()).isEqualTo(5);
        assertThat(MedianCi.of(List.of(4.0, 1.0, 3.0, 2.0), 0.95).median()).isEqualTo(2.5);
        List<Double> skewed = new ArrayList<>(List.of(100.0, 101.0, 99.0, 102.0, 98.0, 5000.0, 103.0, 97.0, 100.5,
                99.5));
        MedianCi ci = MedianCi.of(skewed, 0.95);
        assertThat(ci.median()).isEqualTo(100.25);
        assertThat(ci.low()).isEqualTo(98.0);
        assertThat(ci.high()).isEqualTo(103.0).as("the outlier stays outside");
    }

    @Test
    void tooFewSamplesHaveNoIntervalAndBadInputIsRefused() {
        MedianCi five = MedianCi.of(oneTo(5), 0.95);
        assertThat(five.lowRank()).isZero();
        assertThat(five.low()).isNaN();
        assertThat(five.median()).isEqualTo(3);
        assertThat(MedianCi.of(oneTo(5), 0.90).lowRank()).as("1/32 <= 0.05").isEqualTo(1);
        assertThatThrownBy(() -> MedianCi.of(List.of(), 0.95)).hasMessageContaining("no samples");
        assertThatThrownBy(() -> MedianCi.of(oneTo(3), 1.0)).hasMessageContaining("between 0 and 1");
    }
}
