package dev.kiln.cluster.api;

import dev.kiln.cluster.model.Names;
import dev.kiln.cluster.model.Resource;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * An equality label selector, {@code app=web,tier=front}: a resource matches when it has every one of these labels
 * with exactly this value. Set-based selectors ({@code in}, {@code !=}, {@code !key}) are not supported.
 */
record LabelSelector(Map<String, String> labels) {
    static final LabelSelector ALL = new LabelSelector(Map.of());

    LabelSelector {
        labels = Map.copyOf(labels);
    }

    /**
     * Parses {@code k=v,k2=v2} (also {@code k==v}); empty means everything.
     *
     * @throws ApiProblem 400 naming the bad term
     */
    static LabelSelector parse(String text) {
        Map<String, String> labels = new TreeMap<>();
        if (text.isBlank()) {
            return ALL;
        }
        for (String term : text.split(",", -1)) {
            String t = term.strip();
            int eq = t.indexOf('=');
            if (eq <= 0 || t.startsWith("!") || t.charAt(eq - 1) == '!') {
                throw bad(text, "'" + t + "' is not key=value");
            }
            String key = t.substring(0, eq).strip();
            String value = t.substring(t.startsWith("==", eq) ? eq + 2 : eq + 1).strip();
            if (!Names.isLabelKey(key)) {
                throw bad(text, "'" + key + "' is not a label key (" + Names.LABEL_KEY_RULE + ")");
            }
            if (!Names.isLabelValue(value)) {
                throw bad(text, "'" + value + "' is not a label value (" + Names.LABEL_VALUE_RULE + ")");
            }
            if (labels.containsKey(key) && !labels.get(key).equals(value)) {
                throw bad(text, "'" + key + "' is given twice with different values");
            }
            labels.put(key, value);
        }
        return new LabelSelector(labels);
    }

    boolean matches(Resource resource) {
        Map<String, String> have = resource.metadata().labels();
        return labels.entrySet().stream().allMatch(e -> e.getValue().equals(have.get(e.getKey())));
    }

    boolean isEmpty() {
        return labels.isEmpty();
    }

    /** The query form, {@code k=v,k2=v2}, keys sorted. */
    String format() {
        return new TreeMap<>(labels).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    private static ApiProblem bad(String text, String why) {
        return ApiProblem.badRequest("bad labelSelector '" + text + "': " + why,
                "use equality terms separated by commas, such as labelSelector=app=web,tier=front");
    }
}
