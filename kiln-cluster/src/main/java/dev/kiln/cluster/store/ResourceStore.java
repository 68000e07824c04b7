package dev.kiln.cluster.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Manifests;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.ObjectReference;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.model.Validation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Resources on a {@link KvStore}: one key per resource, {@code /kiln/v1/<plural>/<name>}, holding its JSON. The
 * key's mod revision is the resource's {@code metadata.resourceVersion}, so a write based on a stale read fails with
 * CONFLICT (optimistic concurrency) and a watch from a list's revision misses nothing. The store stamps uid and
 * creation time on create, and bumps {@code metadata.generation} when the spec changes. Every write is validated:
 * nothing invalid is ever stored.
 */
public final class ResourceStore {
    /** Every key kiln writes starts with this. */
    public static final String PREFIX = "/kiln/v1/";
    /** Events expire: each is attached to a lease of this length (renewed for the next events after a tenth). */
    static final Duration EVENT_TTL = Duration.ofHours(1);
    private static final ObjectMapper TREE = new ObjectMapper();

    private final KvStore kv;
    private final Clock clock;
    private long eventLease;
    private Instant eventLeaseGranted = Instant.MIN;

    public ResourceStore(KvStore kv, Clock clock) {
        this.kv = kv;
        this.clock = clock;
    }

    public KvStore kv() {
        return kv;
    }

    public static String prefix(Kind kind) {
        return PREFIX + kind.plural() + "/";
    }

    public static String key(Kind kind, String name) {
        return prefix(kind) + name;
    }

    /** A list of one kind and the store revision it was read at (watch from {@code revision + 1}). */
    public record Listing<R extends Resource>(List<R> items, long revision) {
    }

    /** Creates a resource that must not exist yet; returns it as stored (uid, timestamps, resourceVersion). */
    public <R extends Resource> R create(R resource) {
        Validation.check(resource);
        ObjectMeta m = resource.metadata().withUid(UUID.randomUUID().toString())
                .withCreationTimestamp(clock.instant()).withGeneration(1).withoutResourceVersion();
        R r = same(resource, resource.withMetadata(m));
        try {
            long rev = kv.create(key(r.kind(), r.name()), Manifests.toJson(r));
            return versioned(r, rev);
        } catch (ClusterException e) {
            if (e.code() == ClusterError.ALREADY_EXISTS) {
                throw new ClusterException(ClusterError.ALREADY_EXISTS, describe(r) + " already exists",
                        "change its name, or update it (kiln apply updates what exists)");
            }
            throw e;
        }
    }

    /**
     * Replaces a resource read earlier: it must carry the resourceVersion it was read at, and nobody may have
     * written it since (else CONFLICT: read it again and retry). uid and creation time stay; the generation grows
     * when the spec changed.
     */
    public <R extends Resource> R update(R resource) {
        Validation.check(resource);
        String version = resource.metadata().resourceVersion().orElseThrow(() -> new ClusterException(
                ClusterError.INVALID, describe(resource) + ": an update needs metadata.resourceVersion",
                "read the resource first and change what you read"));
        long expected = parseVersion(version);
        String key = key(resource.kind(), resource.name());
        KeyValue current = kv.get(key).orElseThrow(() -> notFound(resource.kind(), resource.name()));
        if (current.modRevision() != expected) {
            throw conflict(resource);
        }
        Resource old = decode(current);
        ObjectMeta m = resource.metadata().withoutResourceVersion()
                .withGeneration(specChanged(old, resource) ? old.metadata().generation() + 1
                        : old.metadata().generation());
        if (old.metadata().uid().isPresent()) {
            m = m.withUid(old.metadata().uid().get());
        }
        if (old.metadata().creationTimestamp().isPresent()) {
            m = m.withCreationTimestamp(old.metadata().creationTimestamp().get());
        }
        R r = same(resource, resource.withMetadata(m));
        try {
            return versioned(r, kv.update(key, Manifests.toJson(r), expected));
        } catch (ClusterException e) {
            throw e.code() == ClusterError.CONFLICT ? conflict(resource) : e;
        }
    }

    public Optional<Resource> get(Kind kind, String name) {
        return kv.get(key(kind, name)).map(ResourceStore::decode);
    }

    public <R extends Resource> Optional<R> get(Class<R> type, String name) {
        return get(kindOf(type), name).map(type::cast);
    }

    public <R extends Resource> List<R> list(Class<R> type) {
        return listing(type).items();
    }

    public <R extends Resource> Listing<R> listing(Class<R> type) {
        Snapshot s = kv.listWithRevision(prefix(kindOf(type)));
        return new Listing<>(s.entries().stream().map(ResourceStore::decode).map(type::cast).toList(), s.revision());
    }

    /**
     * A resource with the store revision at which its key was created: the order in which resources came to be,
     * which every member reads alike (creation timestamps come from each writer's clock).
     */
    public record Entry<R extends Resource>(R resource, long createRevision) {
    }

    /** The resources of one kind, each with its create revision. */
    public <R extends Resource> List<Entry<R>> entries(Class<R> type) {
        return kv.list(prefix(kindOf(type))).stream()
                .map(e -> new Entry<>(type.cast(decode(e)), e.createRevision())).toList();
    }

    public Listing<Resource> listing(Kind kind) {
        Snapshot s = kv.listWithRevision(prefix(kind));
        return new Listing<>(s.entries().stream().map(ResourceStore::decode).toList(), s.revision());
    }

    /** Deletes a resource whatever its version; false when there was none. */
    public boolean delete(Kind kind, String name) {
        return kv.delete(key(kind, name));
    }

    /** Deletes the resource as it was read (CONFLICT if it changed since); false when it is already gone. */
    public boolean delete(Resource read) {
        long expected = parseVersion(read.metadata().resourceVersion().orElseThrow(() -> new ClusterException(
                ClusterError.INVALID, describe(read) + ": a conditional delete needs metadata.resourceVersion")));
        try {
            return kv.delete(key(read.kind(), read.name()), expected);
        } catch (ClusterException e) {
            throw e.code() == ClusterError.CONFLICT ? conflict(read) : e;
        }
    }

    /** What a watch of one kind delivers. */
    public sealed interface Change {
        /** Created or changed: the resource as it is now. */
        record Put(Resource resource, boolean created) implements Change {
        }

        record Deleted(Kind kind, String name, long revision) implements Change {
        }

        /** The watch ended (history compacted): list again and watch from that listing. */
        record Relist(String reason) implements Change {
        }
    }

    /** Watches one kind from {@code fromRevision} (inclusive). Changes arrive in order, on one thread. */
    public Watch watch(Kind kind, long fromRevision, Consumer<Change> onChange) {
        return kv.watch(prefix(kind), fromRevision, event -> {
            switch (event) {
                case WatchEvent.Put p -> onChange.accept(new Change.Put(decode(p.entry()),
                        p.entry().createRevision() == p.entry().modRevision()));
                case WatchEvent.Delete d -> onChange.accept(new Change.Deleted(kind,
                        d.key().substring(prefix(kind).length()), d.modRevision()));
                case WatchEvent.Relist r -> onChange.accept(new Change.Relist(r.reason()));
            }
        });
    }

    /**
     * Records an event about {@code involved}. The same reason and message about the same object again counts up the
     * existing event instead of adding one. Events expire after {@link #EVENT_TTL}. A failure to record is not the
     * caller's failure: it is returned empty.
     */
    public Optional<Event> recordEvent(Resource involved, EventType type, String reason, String message,
                                       String component) {
        Instant now = clock.instant();
        String name = eventName(involved, reason, message);
        String key = key(Kind.EVENT, name);
        try {
            Optional<KeyValue> existing = kv.get(key);
            if (existing.isPresent()) {
                Event old = (Event) decode(existing.get());
                Event next = old.repeatedAt(now).withMetadata(old.metadata().withoutResourceVersion());
                return Optional.of(versioned(next, kv.update(key, Manifests.toJson(next),
                        existing.get().modRevision())));
            }
            Event e = Event.of(ObjectMeta.named(name).withUid(UUID.randomUUID().toString())
                            .withCreationTimestamp(now).withGeneration(1),
                    ObjectReference.to(involved), type, reason, message, component, now);
            return Optional.of(versioned(e, kv.create(key, Manifests.toJson(e), eventLease(now))));
        } catch (ClusterException e) {
            return Optional.empty();
        }
    }

    /** The events about one object, oldest first. */
    public List<Event> events(Kind kind, String name) {
        return list(Event.class).stream()
                .filter(e -> e.involvedObject().kind() == kind && e.involvedObject().name().equals(name))
                .sorted(java.util.Comparator.comparing(Event::firstTimestamp)).toList();
    }

    private synchronized long eventLease(Instant now) {
        if (eventLeaseGranted.isBefore(now.minus(EVENT_TTL.dividedBy(10)))) {
            eventLease = kv.grantLease(EVENT_TTL);
            eventLeaseGranted = now;
        }
        return eventLease;
    }

    private static String eventName(Resource involved, String reason, String message) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest((involved.kind().manifestName() + "\n"
                    + involved.metadata().uid().orElse("") + "\n" + reason + "\n" + message)
                    .getBytes(StandardCharsets.UTF_8));
            String base = involved.name();
            if (base.length() > 50) {
                base = base.substring(0, 50);
            }
            return base + "-" + HexFormat.of().formatHex(hash, 0, 5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static Resource decode(KeyValue kv) {
        Resource r = Manifests.readJson(kv.value());
        return r.withMetadata(r.metadata().withResourceVersion(Long.toString(kv.modRevision())));
    }

    public static Kind kindOf(Class<? extends Resource> type) {
        for (Kind k : Kind.values()) {
            if (k.type().equals(type)) {
                return k;
            }
        }
        throw new IllegalArgumentException("not a resource type: " + type);
    }

    private static boolean specChanged(Resource old, Resource now) {
        try {
            JsonNode a = TREE.readTree(Manifests.toJson(old)).path("spec");
            JsonNode b = TREE.readTree(Manifests.toJson(now)).path("spec");
            return !a.equals(b);
        } catch (IOException e) {
            return true;
        }
    }

    private static long parseVersion(String version) {
        try {
            return Long.parseLong(version);
        } catch (NumberFormatException e) {
            throw new ClusterException(ClusterError.INVALID, "metadata.resourceVersion '" + version
                    + "' is not a version this store gave out", "read the resource again and use its resourceVersion");
        }
    }

    @SuppressWarnings("unchecked")
    private static <R extends Resource> R same(R like, Resource r) {
        return (R) like.getClass().cast(r);
    }

    private static <R extends Resource> R versioned(R r, long revision) {
        return same(r, r.withMetadata(r.metadata().withResourceVersion(Long.toString(revision))));
    }

    private static ClusterException conflict(Resource r) {
        return new ClusterException(ClusterError.CONFLICT, describe(r) + " was changed by someone else since it "
                + "was read (resourceVersion " + r.metadata().resourceVersion().orElse("?") + ")",
                "read it again, re-apply your change, and retry");
    }

    public static ClusterException notFound(Kind kind, String name) {
        return new ClusterException(ClusterError.NOT_FOUND, kind.manifestName().toLowerCase() + " '" + name
                + "' not found", "list them with: kiln get " + kind.plural());
    }

    public static String describe(Resource r) {
        return r.kind().manifestName().toLowerCase() + " '" + r.name() + "'";
    }
}
