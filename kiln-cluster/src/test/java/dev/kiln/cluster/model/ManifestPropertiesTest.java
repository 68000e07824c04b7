package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Any Pod written as YAML or JSON reads back equal, whatever its strings look like to a YAML parser. */
class ManifestPropertiesTest {
    @Property(tries = 300)
    void podsRoundTripThroughYaml(@ForAll("pods") Pod pod) {
        assertThat(Manifests.read(Manifests.toYaml(pod), "generated.yaml")).containsExactly(pod);
    }

    @Property(tries = 300)
    void podsRoundTripThroughJson(@ForAll("pods") Pod pod) {
        assertThat(Manifests.readJson(Manifests.toJson(pod))).isEqualTo(pod);
    }

    @Provide
    Arbitrary<Pod> pods() {
        Arbitrary<PodSpec> spec = Combinators.combine(containers().list().ofMaxSize(3),
                        Arbitraries.of(RestartPolicy.class), labels(), optional(names()))
                .as(PodSpec::new);
        return Combinators.combine(meta(), spec, status()).as((m, s, st) -> Pod.of(m, s).withStatus(st));
    }

    private Arbitrary<ObjectMeta> meta() {
        return Combinators.combine(names(), labels(), Arbitraries.maps(text(), text()).ofMaxSize(3),
                        optional(text()), optional(Arbitraries.longs().between(0, Long.MAX_VALUE).map(Object::toString)),
                        optional(instants()), Arbitraries.longs().between(0, Long.MAX_VALUE))
                .as(ObjectMeta::new);
    }

    private Arbitrary<ContainerTemplate> containers() {
        Arbitrary<ContainerPort> port = Combinators.combine(Arbitraries.integers().between(0, 70000),
                optional(Arbitraries.integers().between(1, 65535)), Arbitraries.of("TCP", "UDP", "", "tcp"))
                .as(ContainerPort::new);
        Arbitrary<ResourceRequirements> resources = Combinators.combine(resources(), optional(resources()))
                .as(ResourceRequirements::new);
        return Combinators.combine(names(), text(), text().list().ofMaxSize(3), text().list().ofMaxSize(3),
                        Arbitraries.maps(text(), text()).ofMaxSize(4), port.list().ofMaxSize(2), resources,
                        optional(text()))
                .as(ContainerTemplate::new);
    }

    private Arbitrary<PodStatus> status() {
        Arbitrary<ContainerStatus> container = Combinators.combine(names(), Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 1000), text(), optional(Arbitraries.integers()),
                        optional(text()), optional(text()))
                .as(ContainerStatus::new);
        return Combinators.combine(Arbitraries.of(PodPhase.class), optional(names()), optional(text()),
                        optional(text()), optional(text()), optional(instants()), container.list().ofMaxSize(2))
                .as(PodStatus::new);
    }

    private Arbitrary<Resources> resources() {
        return Combinators.combine(Arbitraries.longs().between(0, 1_000_000_000L),
                Arbitraries.oneOf(Arbitraries.longs().between(0, Long.MAX_VALUE),
                        Arbitraries.integers().between(0, 4096).map(mi -> (long) mi << 20))).as(Resources::new);
    }

    private Arbitrary<String> names() {
        return Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789-").ofMinLength(1)
                .ofMaxLength(20);
    }

    private Arbitrary<Map<String, String>> labels() {
        Arbitrary<String> part = Arbitraries.strings().withChars("abcXYZ019-_.").ofMinLength(1).ofMaxLength(10);
        return Arbitraries.maps(part, part).ofMaxSize(3);
    }

    /** Strings that trip YAML writers: reserved words, numbers, indicators, quotes, spaces, newlines, Unicode. */
    private Arbitrary<String> text() {
        Arbitrary<String> wild = Arbitraries.strings().withCharRange(' ', '~').withChars("\n\t\r\u00e9\u00df\u65e5\u2028")
                .ofMaxLength(16);
        Arbitrary<String> tricky = Arbitraries.of("", " ", "null", "Null", "~", "true", "False", "yes", "No", "on",
                "off", "y", "n", "0x1F", "1e3", ".5", "012", "0o17", "+1", "-1", ".inf", "-.inf", ".NaN", "1_000",
                "2025-01-01", "12:30", "-", "- a", "#c", "a #c", "a: b", "a:b", "*x", "&x", "!x", "|", ">", "'", "\"",
                "%x", "@x", "`x", "{a}", "[a]", "?", ", ", " lead", "trail ", "<<", "---", "...", "a\nb", "\\");
        return Arbitraries.frequencyOf(
                Tuple.of(3, wild), Tuple.of(2, tricky));
    }

    private Arbitrary<Instant> instants() {
        return Combinators.combine(Arbitraries.longs().between(0, 8_000_000_000L), Arbitraries.integers()
                .between(0, 999_999_999)).as(Instant::ofEpochSecond);
    }

    private static <T> Arbitrary<Optional<T>> optional(Arbitrary<T> values) {
        return values.optional(0.5);
    }

}
