package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.ResourceStore;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The reads and writes of resources: get, list (label and event filters), create, update, scale, delete and the
 * health check. Writes that read first (scale, delete) retry a few times when someone else wrote in between.
 */
final class ResourceCalls {
    /** How often a read-modify-write is tried before a conflict is reported. */
    static final int ATTEMPTS = 5;

    private final ResourceStore store;

    ResourceCalls(ResourceStore store) {
        this.store = store;
    }

    /** {@code {"status":"ok"}} when the store answers; its UNAVAILABLE error (503) when not. */
    Reply health() {
        store.kv().revision();
        return Reply.json(200, ApiJson.TREE.createObjectNode().put("status", "ok"));
    }

    Reply get(Kind kind, String name) {
        return Reply.resource(200, store.get(kind, name).orElseThrow(() -> ResourceStore.notFound(kind, name)));
    }

    Reply list(ApiCall.List call) {
        ResourceStore.Listing<Resource> listing = store.listing(call.kind());
        List<Resource> items = listing.items().stream().filter(call.selector()::matches).toList();
        if (call.kind() == Kind.EVENT) {
            items = items.stream().map(Event.class::cast)
                    .filter(e -> call.involvedKind().map(k -> e.involvedObject().kind() == k).orElse(true))
                    .filter(e -> call.involvedName().map(n -> e.involvedObject().name().equals(n)).orElse(true))
                    .sorted(Comparator.comparing(Event::firstTimestamp).thenComparing(Event::name))
                    .map(Resource.class::cast).toList();
        }
        return Reply.json(200, ApiJson.list(call.kind(), items, listing.revision()));
    }

    Reply create(Kind kind, Resource body) {
        requireKind(kind, body);
        return Reply.resource(201, store.create(body));
    }

    Reply update(Kind kind, String name, Resource body) {
        Resource r = named(kind, name, body);
        return Reply.resource(200, store.update(r));
    }

    Reply scale(Kind kind, String name, int replicas) {
        return Reply.resource(200, onConflict(() -> {
            Resource current = store.get(kind, name).orElseThrow(() -> ResourceStore.notFound(kind, name));
            Resource scaled = switch (current) {
                case Deployment d -> d.withSpec(d.spec().withReplicas(replicas));
                case NodePool p -> p.withSpec(p.spec().withReplicas(replicas));
                default -> throw ApiProblem.notFound(kind.plural() + " cannot be scaled", "scale a deployment or a"
                        + " nodepool");
            };
            return store.update(scaled);
        }));
    }

    /** Deletes the resource as it is now and answers with it. */
    Reply delete(Kind kind, String name) {
        return Reply.resource(200, onConflict(() -> {
            Resource current = store.get(kind, name).orElseThrow(() -> ResourceStore.notFound(kind, name));
            if (!store.delete(current)) {
                throw ResourceStore.notFound(kind, name);
            }
            return current;
        }));
    }

    /** The body, checked to be of the path's kind and named as the path (an unnamed body takes the path's name). */
    static Resource named(Kind kind, String name, Resource body) {
        requireKind(kind, body);
        if (body.name().isEmpty()) {
            return body.withMetadata(body.metadata().withName(name));
        }
        if (!body.name().equals(name)) {
            throw ApiProblem.badRequest("the body names " + kind.manifestName().toLowerCase() + " '" + body.name()
                    + "' but the path names '" + name + "'", "send it to " + Routes.BASE + kind.plural() + "/"
                    + body.name() + ", or change metadata.name");
        }
        return body;
    }

    static void requireKind(Kind kind, Resource body) {
        if (body.kind() != kind) {
            throw ApiProblem.badRequest("the body is a " + body.kind().manifestName() + " but the path is for "
                    + kind.plural() + " (" + kind.manifestName() + ")", "send it to " + Routes.BASE
                    + body.kind().plural());
        }
    }

    /**
     * Runs a read-modify-write up to {@link #ATTEMPTS} times while it fails with CONFLICT or ALREADY_EXISTS (someone
     * else wrote between the read and the write); the last such error is thrown.
     */
    static <T> T onConflict(Supplier<T> attempt) {
        ClusterException last = null;
        for (int i = 0; i < ATTEMPTS; i++) {
            try {
                return attempt.get();
            } catch (ClusterException e) {
                if (e.code() != ClusterError.CONFLICT && e.code() != ClusterError.ALREADY_EXISTS) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }
}
