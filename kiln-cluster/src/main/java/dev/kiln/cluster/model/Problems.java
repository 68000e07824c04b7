package dev.kiln.cluster.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Collects validation problems, each as {@code path: what is wrong}, with the checks several kinds share. */
final class Problems {
    private final List<String> found = new ArrayList<>();

    void add(String path, String problem) {
        found.add(path + ": " + problem);
    }

    List<String> list() {
        return List.copyOf(found);
    }

    void name(String path, String name) {
        if (name.isEmpty()) {
            add(path, "must not be empty");
        } else if (!Names.isDnsLabel(name)) {
            add(path, "'" + name + "' is not a valid name: " + Names.DNS_LABEL_RULE);
        }
    }

    void notEmpty(String path, String value) {
        if (value.isBlank()) {
            add(path, "must not be empty");
        }
    }

    void atLeast(String path, long value, long minimum) {
        if (value < minimum) {
            add(path, "must be >= " + minimum + ", got " + value);
        }
    }

    void port(String path, int port) {
        if (port < 1 || port > 65535) {
            add(path, "must be a port from 1 to 65535, got " + port);
        }
    }

    void labels(String path, Map<String, String> labels) {
        labels.forEach((key, value) -> {
            if (!Names.isLabelKey(key)) {
                add(path, "key '" + key + "' is not valid: " + Names.LABEL_KEY_RULE);
            }
            if (!Names.isLabelValue(value)) {
                add(path + "." + key, "value '" + value + "' is not valid: " + Names.LABEL_VALUE_RULE);
            }
        });
    }

    void annotations(String path, Map<String, String> annotations) {
        annotations.keySet().stream().filter(k -> !Names.isLabelKey(k))
                .forEach(k -> add(path, "key '" + k + "' is not valid: " + Names.LABEL_KEY_RULE));
    }

    void nonNegative(String path, Resources resources) {
        if (resources.cpuMillis() < 0) {
            add(path + ".cpu", "must not be negative, got " + Quantity.formatCpu(resources.cpuMillis()));
        }
        if (resources.memoryBytes() < 0) {
            add(path + ".memory", "must not be negative, got " + Quantity.formatMemory(resources.memoryBytes()));
        }
    }

    void oneOf(String path, String value, List<String> allowed) {
        if (!allowed.contains(value)) {
            add(path, "must be one of " + String.join(", ", allowed) + "; got '" + value + "'");
        }
    }
}
