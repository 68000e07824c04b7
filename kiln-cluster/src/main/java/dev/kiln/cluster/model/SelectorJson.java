package dev.kiln.cluster.model;

import com.fasterxml.jackson.databind.util.StdConverter;
import java.util.Map;

/** The manifest shape of a Deployment's selector, {@code {matchLabels: {...}}}, around the record's plain map. */
final class SelectorJson {
    private SelectorJson() {
    }

    /** The wire form; only {@code matchLabels} is supported. */
    record LabelSelector(Map<String, String> matchLabels) {
        LabelSelector {
            matchLabels = Defaults.map(matchLabels);
        }
    }

    static final class ToWire extends StdConverter<Map<String, String>, LabelSelector> {
        @Override
        public LabelSelector convert(Map<String, String> value) {
            return new LabelSelector(value);
        }
    }

    static final class FromWire extends StdConverter<LabelSelector, Map<String, String>> {
        @Override
        public Map<String, String> convert(LabelSelector value) {
            return value.matchLabels();
        }
    }
}
