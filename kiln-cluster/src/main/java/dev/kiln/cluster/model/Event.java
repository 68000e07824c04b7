package dev.kiln.cluster.model;

import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened to a resource ({@code involvedObject}): a reason ({@code Scheduled}, {@code NodeLost}),
 * a message, how often it happened between its first and last time, and the component that saw it. Events have no
 * spec or status.
 */
public record Event(String apiVersion, Kind kind, ObjectMeta metadata, ObjectReference involvedObject, String reason,
                    String message, EventType type, int count, Instant firstTimestamp, Instant lastTimestamp,
                    EventSource source) implements Resource {
    public Event {
        apiVersion = Defaults.apiVersion(apiVersion);
        kind = Defaults.kind(kind, Kind.EVENT);
        metadata = Defaults.or(metadata, ObjectMeta.named(""));
        involvedObject = Defaults.required(involvedObject, "involvedObject");
        reason = Defaults.string(reason);
        message = Defaults.string(message);
        type = Defaults.or(type, EventType.NORMAL);
        firstTimestamp = Defaults.instant(firstTimestamp);
        lastTimestamp = Defaults.instant(lastTimestamp);
        source = Defaults.or(source, EventSource.NONE);
    }

    /** A first occurrence at {@code now}, seen by {@code component}. */
    public static Event of(ObjectMeta metadata, ObjectReference involvedObject, EventType type, String reason,
                           String message, String component, Instant now) {
        Objects.requireNonNull(now, "now");
        return new Event(Resource.API_VERSION, Kind.EVENT, metadata, involvedObject, reason, message, type, 1, now, now,
                new EventSource(component));
    }

    /** The same event seen again at {@code now}: the count goes up, the last time moves. */
    public Event repeatedAt(Instant now) {
        return new Event(apiVersion, kind, metadata, involvedObject, reason, message, type, count + 1, firstTimestamp,
                now, source);
    }

    @Override
    public Event withMetadata(ObjectMeta metadata) {
        return new Event(apiVersion, kind, metadata, involvedObject, reason, message, type, count, firstTimestamp,
                lastTimestamp, source);
    }
}
