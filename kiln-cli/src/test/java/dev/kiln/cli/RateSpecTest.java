package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RateSpecTest {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    @Test
    void bandwidthWithDirection() {
        RateSpec s = RateSpec.parseNet("rx=1M/1s");
        assertThat(s.direction()).isEqualTo(RateSpec.Direction.RX);
        assertThat(s.kind()).isEqualTo(RateSpec.Kind.BANDWIDTH);
        assertThat(s.bucket()).isEqualTo(new RateSpec.Bucket(1 << 20, 0, Duration.ofSeconds(1)));
    }

    @Test
    void bandwidthWithBurst() {
        RateSpec s = RateSpec.parseNet("tx=512K/100ms+1M");
        assertThat(s.direction()).isEqualTo(RateSpec.Direction.TX);
        assertThat(s.bucket()).isEqualTo(new RateSpec.Bucket(512 * 1024, 1 << 20, Duration.ofMillis(100)));
    }

    @Test
    void noDirectionMeansBoth() {
        assertThat(RateSpec.parseNet("2048/1s").direction()).isEqualTo(RateSpec.Direction.BOTH);
    }

    @Test
    void ops() {
        RateSpec s = RateSpec.parseNet("ops:rx=1000/1s+200");
        assertThat(s.kind()).isEqualTo(RateSpec.Kind.OPS);
        assertThat(s.direction()).isEqualTo(RateSpec.Direction.RX);
        assertThat(s.bucket()).isEqualTo(new RateSpec.Bucket(1000, 200, Duration.ofSeconds(1)));
    }

    @Test
    void diskForms() {
        assertThat(RateSpec.parseDisk("10M/1s").bucket()).isEqualTo(new RateSpec.Bucket(10 << 20, 0, Duration.ofSeconds(1)));
        RateSpec ops = RateSpec.parseDisk("ops:500/1s");
        assertThat(ops.kind()).isEqualTo(RateSpec.Kind.OPS);
        assertThat(ops.bucket().size()).isEqualTo(500);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1M", "rx=1M", "rx=1M/", "up=1M/1s", "rx=lots/1s", "rx=1M/1", "rx=1M/1s+", "rx=0/1s",
        "rx=1M/0s", "rx=1M/0.5ms", "ops:rx=1K/1s", "ops:1.5/1s", "rx=1M/1s/2s", "ops:ops:1/1s"})
    void badNetSpecsAreUsageErrorsWithAnExample(String text) {
        assertThatThrownBy(() -> RateSpec.parseNet(text))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.hint()).get().asString().contains("rx=1M/1s");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"rx=1M/1s", "tx=1M/1s", "1M", "ops:1000", "ops:many/1s"})
    void badDiskSpecs(String text) {
        assertThatThrownBy(() -> RateSpec.parseDisk(text))
                .isInstanceOfSatisfying(CliException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(ExitCodes.USAGE);
                    assertThat(e.hint()).get().asString().contains("10M/1s");
                });
    }

    @Test
    void netRateJsonMergesDirectionsAndKinds() {
        var json = RateSpec.netRateJson(List.of(RateSpec.parseNet("rx=1M/1s"), RateSpec.parseNet("ops:1000/1s"),
                RateSpec.parseNet("tx=512K/100ms+1M")), JSON).orElseThrow();
        assertThat(json.toString()).isEqualTo("{\"rx\":{\"bandwidth\":{\"size\":1048576,\"oneTimeBurst\":0,\"refillTime\":1000},"
                + "\"ops\":{\"size\":1000,\"oneTimeBurst\":0,\"refillTime\":1000}},"
                + "\"tx\":{\"ops\":{\"size\":1000,\"oneTimeBurst\":0,\"refillTime\":1000},"
                + "\"bandwidth\":{\"size\":524288,\"oneTimeBurst\":1048576,\"refillTime\":100}}}");
    }

    @Test
    void noSpecsNoJson() {
        assertThat(RateSpec.netRateJson(List.of(), JSON)).isEmpty();
        assertThat(RateSpec.diskRateJson(List.of(), JSON)).isEmpty();
    }

    @Test
    void aLimitGivenTwiceIsAUsageError() {
        assertThatThrownBy(() -> RateSpec.netRateJson(List.of(RateSpec.parseNet("1M/1s"), RateSpec.parseNet("tx=2M/1s")), JSON))
                .isInstanceOf(CliException.class).hasMessageContaining("tx bandwidth limit twice");
        assertThatThrownBy(() -> RateSpec.diskRateJson(List.of(RateSpec.parseDisk("ops:1/1s"), RateSpec.parseDisk("ops:2/1s")), JSON))
                .isInstanceOf(CliException.class).hasMessageContaining("ops limit twice");
    }

    @Test
    void diskRateJson() {
        var json = RateSpec.diskRateJson(List.of(RateSpec.parseDisk("10M/1s"), RateSpec.parseDisk("ops:500/1s+100")), JSON)
                .orElseThrow();
        assertThat(json.path("bandwidth").path("size").asLong()).isEqualTo(10 << 20);
        assertThat(json.path("ops").path("oneTimeBurst").asLong()).isEqualTo(100);
    }
}
