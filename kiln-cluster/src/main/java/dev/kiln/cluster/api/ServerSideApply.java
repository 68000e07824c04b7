package dev.kiln.cluster.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.NodePool;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.ResourceStore;
import java.util.Map;
import java.util.Optional;

/**
 * {@code kiln apply} on the server: creates the resource when it is absent; otherwise replaces what a manifest says
 * (spec, labels, annotations) and keeps what the cluster owns (status, uid, creation time). Nothing is written when
 * the desired parts are equal. The answer's {@value #HEADER} header says which: {@code created}, {@code configured}
 * or {@code unchanged}.
 */
final class ServerSideApply {
    static final String HEADER = "X-Kiln-Apply";

    private final ResourceStore store;

    ServerSideApply(ResourceStore store) {
        this.store = store;
    }

    private record Applied(Resource resource, String action, int status) {
    }

    Reply apply(Kind kind, String name, Resource body) {
        Resource wanted = ResourceCalls.named(kind, name, body);
        Applied applied = ResourceCalls.onConflict(() -> once(wanted));
        return new Reply(applied.status(), ApiJson.bytes(ApiJson.node(applied.resource())),
                Map.of(HEADER, applied.action()));
    }

    private Applied once(Resource wanted) {
        Optional<Resource> current = store.get(wanted.kind(), wanted.name());
        if (current.isEmpty()) {
            return new Applied(store.create(wanted), "created", 201);
        }
        Resource now = current.get();
        if (desired(now).equals(desired(wanted))) {
            return new Applied(now, "unchanged", 200);
        }
        return new Applied(store.update(merge(now, wanted)), "configured", 200);
    }

    /** {@code current} with the spec, labels and annotations of {@code wanted}; an Event (no spec) is replaced. */
    static Resource merge(Resource current, Resource wanted) {
        Resource withSpec = switch (current) {
            case Host h -> h.withSpec(((Host) wanted).spec());
            case NodePool p -> p.withSpec(((NodePool) wanted).spec());
            case Node n -> n.withSpec(((Node) wanted).spec());
            case Pod p -> p.withSpec(((Pod) wanted).spec());
            case Deployment d -> d.withSpec(((Deployment) wanted).spec());
            case Event _ -> wanted;
        };
        return withSpec.withMetadata(current.metadata().withLabels(wanted.metadata().labels())
                .withAnnotations(wanted.metadata().annotations()));
    }

    /** What apply owns, for comparison: everything but status, and of the metadata only labels and annotations. */
    private static ObjectNode desired(Resource r) {
        ObjectNode n = ApiJson.node(r);
        n.remove("status");
        ObjectNode meta = ApiJson.TREE.createObjectNode();
        meta.set("labels", n.path("metadata").path("labels").deepCopy());
        meta.set("annotations", n.path("metadata").path("annotations").deepCopy());
        n.set("metadata", meta);
        return n;
    }
}
