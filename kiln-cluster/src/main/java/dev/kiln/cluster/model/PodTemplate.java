package dev.kiln.cluster.model;

import java.util.Map;

/** What each Pod of a Deployment looks like: its labels (which the selector must match) and its spec. */
public record PodTemplate(PodTemplate.Metadata metadata, PodSpec spec) {
    static final PodTemplate EMPTY = new PodTemplate(Metadata.EMPTY, PodSpec.EMPTY);

    /** The template's metadata: labels and annotations only (each Pod gets its own name). */
    public record Metadata(Map<String, String> labels, Map<String, String> annotations) {
        static final Metadata EMPTY = new Metadata(Map.of(), Map.of());

        public Metadata {
            labels = Defaults.map(labels);
            annotations = Defaults.map(annotations);
        }
    }

    public PodTemplate {
        metadata = Defaults.or(metadata, Metadata.EMPTY);
        spec = Defaults.or(spec, PodSpec.EMPTY);
    }

    /** A template with these labels and spec. */
    public static PodTemplate of(Map<String, String> labels, PodSpec spec) {
        return new PodTemplate(new Metadata(labels, Map.of()), spec);
    }

    /** Shorthand for {@code metadata().labels()}. */
    public Map<String, String> labels() {
        return metadata.labels();
    }
}
