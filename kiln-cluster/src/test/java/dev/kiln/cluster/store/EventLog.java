package dev.kiln.cluster.store;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/** Collects watch events for assertions; also remembers which threads delivered them. */
final class EventLog implements Consumer<WatchEvent> {
    private final List<WatchEvent> events = new ArrayList<>();
    private final List<String> threads = new ArrayList<>();

    @Override
    public synchronized void accept(WatchEvent event) {
        events.add(event);
        threads.add(Thread.currentThread().getName());
    }

    synchronized List<WatchEvent> events() {
        return List.copyOf(events);
    }

    synchronized List<String> threads() {
        return List.copyOf(threads);
    }

    /** A compact form for assertions: "PUT key=value@rev", "DELETE key@rev", "RELIST". */
    synchronized List<String> summary() {
        return events.stream().map(EventLog::describe).toList();
    }

    /** The summaries without revisions. */
    synchronized List<String> shape() {
        return events.stream().map(e -> describe(e).replaceAll("@\\d+$", "")).toList();
    }

    static String describe(WatchEvent e) {
        return switch (e) {
            case WatchEvent.Put p -> "PUT " + p.key() + "=" + p.entry().valueAsString() + "@" + p.modRevision();
            case WatchEvent.Delete d -> "DELETE " + d.key() + "@" + d.modRevision();
            case WatchEvent.Relist r -> "RELIST";
        };
    }
}
