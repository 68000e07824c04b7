package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.vmm.ByteSize;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Text renderings of the API's {@code VmView} (and stats) for people. Missing or null fields print as "-". */
final class VmViews {
    private static final String NONE = "-";
    private static final int KEY_WIDTH = 14;

    private VmViews() {
    }

    /** One line after a VM is created, e.g. {@code web1 is running at 10.77.0.2 (booted in 4.3 s; ...)}. */
    static String summary(JsonNode vm) {
        StringBuilder s = new StringBuilder(text(vm, "name")).append(" is ").append(text(vm, "phase"));
        if (vm.hasNonNull("ip")) s.append(" at ").append(vm.get("ip").asText());
        List<String> details = new ArrayList<>();
        if (vm.hasNonNull("bootMillis")) details.add("booted in " + Durations.human(Duration.ofMillis(vm.get("bootMillis").asLong())));
        details.add("id " + text(vm, "id"));
        details.add(text(vm, "driver") + "/" + text(vm, "accelerator"));
        return s.append(" (").append(String.join(", ", details)).append(")").toString();
    }

    /** The {@code kiln vm ls} table. */
    static String table(List<JsonNode> vms, Instant now) {
        Table t = new Table("NAME", "ID", "PHASE", "IP", "VCPUS", "MEMORY", "DRIVER", "AGE");
        for (JsonNode vm : vms) {
            t.row(text(vm, "name"), text(vm, "id"), text(vm, "phase"), text(vm, "ip"), text(vm, "vcpus"),
                    text(vm, "memory"), text(vm, "driver"),
                    instant(vm, "createdAt").map(c -> Durations.age(Duration.between(c, now))).orElse(NONE));
        }
        return t.render();
    }

    /** Every field of a VmView, grouped, one {@code key: value} per line; fields this CLI does not know come last. */
    static String inspect(JsonNode vm, Instant now) {
        Set<String> shown = new LinkedHashSet<>();
        StringBuilder out = new StringBuilder();
        field(out, shown, vm, "Name", "name");
        field(out, shown, vm, "ID", "id");
        String phase = text(vm, "phase") + (vm.path("ready").asBoolean(false) ? " (ready)" : "");
        line(out, "Phase", phase);
        shown.add("phase");
        shown.add("ready");
        field(out, shown, vm, "Cause", "cause");
        field(out, shown, vm, "Driver", "driver");
        field(out, shown, vm, "Accelerator", "accelerator");
        field(out, shown, vm, "vCPUs", "vcpus");
        field(out, shown, vm, "Memory", "memory");
        line(out, "Huge pages", yesNo(vm, "hugePages"));
        shown.add("hugePages");
        field(out, shown, vm, "PID", "pid");
        line(out, "Created", when(vm, "createdAt", now));
        line(out, "Ready", when(vm, "readyAt", now));
        shown.add("createdAt");
        shown.add("readyAt");
        line(out, "Boot time", vm.hasNonNull("bootMillis") ? Durations.human(Duration.ofMillis(vm.get("bootMillis").asLong())) : NONE);
        shown.add("bootMillis");

        out.append("Network:\n");
        field(out, shown, vm, "  IP", "ip");
        field(out, shown, vm, "  Gateway", "gateway");
        field(out, shown, vm, "  MAC", "mac");
        field(out, shown, vm, "  Tap", "tap");
        field(out, shown, vm, "  Bridge", "bridge");
        field(out, shown, vm, "  Tenant", "tenant");
        field(out, shown, vm, "  Egress", "egress");
        JsonNode isolation = vm.path("guestIsolation");
        line(out, "  Isolation", !isolation.isBoolean() ? NONE : isolation.asBoolean() ? "on"
                : "off (the daemon runs with --no-guest-isolation: tenant and egress are not enforced)");
        shown.add("guestIsolation");

        out.append("Disks:");
        shown.add("disks");
        if (vm.path("disks").isEmpty()) {
            out.append(" none\n");
        } else {
            out.append('\n');
            Table disks = new Table("  DEVICE", "PATH", "MODE");
            for (JsonNode d : vm.path("disks")) {
                disks.row("  " + text(d, "id"), text(d, "path"), d.path("readOnly").asBoolean(false) ? "read-only" : "read-write");
            }
            out.append(disks.render());
        }

        out.append("Rate limits:\n");
        shown.add("netRate");
        shown.add("diskRate");
        line(out, "  Net rx", rateLimiter(vm.path("netRate").path("rx")));
        line(out, "  Net tx", rateLimiter(vm.path("netRate").path("tx")));
        line(out, "  Disk", rateLimiter(vm.path("diskRate")));

        out.append("Files:\n");
        shown.add("files");
        for (Map.Entry<String, JsonNode> f : vm.path("files").properties()) {
            line(out, "  " + f.getKey(), f.getValue().isNull() ? NONE : f.getValue().asText());
        }

        for (Map.Entry<String, JsonNode> e : vm.properties()) {
            if (!shown.contains(e.getKey())) {
                line(out, e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        return out.toString();
    }

    /** A RateLimiter object for people: {@code bandwidth 1M every 1 s (+ burst 2M); ops 100 every 1 s}. */
    static String rateLimiter(JsonNode limiter) {
        List<String> parts = new ArrayList<>();
        bucket(limiter.path("bandwidth"), true).ifPresent(b -> parts.add("bandwidth " + b));
        bucket(limiter.path("ops"), false).ifPresent(b -> parts.add("ops " + b));
        return parts.isEmpty() ? "none" : String.join("; ", parts);
    }

    private static Optional<String> bucket(JsonNode b, boolean bytes) {
        long size = b.path("size").asLong(0);
        long refill = b.path("refillTime").asLong(0);
        if (size == 0 || refill == 0) return Optional.empty();
        long burst = b.path("oneTimeBurst").asLong(0);
        String amount = bytes ? new ByteSize(size).toString() : Long.toString(size);
        String s = amount + " every " + Durations.human(Duration.ofMillis(refill));
        if (burst > 0) s += " (+ one-time burst " + (bytes ? new ByteSize(burst).toString() : Long.toString(burst)) + ")";
        return Optional.of(s);
    }

    /** The {@code kiln vm stats} text. */
    static String stats(String name, JsonNode stats) {
        StringBuilder out = new StringBuilder();
        line(out, "VM", name);
        line(out, "Memory (RSS)", stats.hasNonNull("rssBytes") ? Sizes.human(stats.get("rssBytes").asLong()) : NONE);
        line(out, "CPU time", stats.hasNonNull("cpuMillis") ? Durations.human(Duration.ofMillis(stats.get("cpuMillis").asLong())) : NONE);
        JsonNode net = stats.path("net");
        line(out, "Net received", net.hasNonNull("rxBytes") ? Sizes.human(net.get("rxBytes").asLong()) : NONE);
        line(out, "Net sent", net.hasNonNull("txBytes") ? Sizes.human(net.get("txBytes").asLong()) : NONE);
        if (stats.path("drives").isEmpty()) {
            line(out, "Drives", "none");
        } else {
            out.append("Drives:\n");
            Table t = new Table("  DRIVE", "READ", "WRITTEN", "READ OPS", "WRITE OPS");
            for (Map.Entry<String, JsonNode> d : stats.path("drives").properties()) {
                JsonNode v = d.getValue();
                t.row("  " + d.getKey(), Sizes.human(v.path("readBytes").asLong(0)), Sizes.human(v.path("writeBytes").asLong(0)),
                        text(v, "readOps"), text(v, "writeOps"));
            }
            out.append(t.render());
        }
        return out.toString();
    }

    private static String yesNo(JsonNode node, String field) {
        JsonNode v = node.path(field);
        return !v.isBoolean() ? NONE : v.asBoolean() ? "yes" : "no";
    }

    static String text(JsonNode node, String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() || v.asText().isEmpty() ? NONE : v.asText();
    }

    static Optional<Instant> instant(JsonNode node, String field) {
        if (!node.hasNonNull(field)) return Optional.empty();
        try {
            return Optional.of(Instant.parse(node.get(field).asText()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String when(JsonNode vm, String field, Instant now) {
        return instant(vm, field).map(t -> t + " (" + Durations.age(Duration.between(t, now)) + " ago)").orElse(NONE);
    }

    private static void field(StringBuilder out, Set<String> shown, JsonNode vm, String label, String field) {
        shown.add(field);
        line(out, label, text(vm, field));
    }

    private static void line(StringBuilder out, String label, String value) {
        String key = label + ":";
        out.append(key).append(" ".repeat(Math.max(1, KEY_WIDTH - key.length()))).append(value).append('\n');
    }
}
