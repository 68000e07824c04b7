package dev.kiln.cluster.model;

import java.util.Optional;

/** Names one resource: its kind, name and, when known, the uid of the exact incarnation. */
public record ObjectReference(Kind kind, String name, Optional<String> uid) {
    public ObjectReference {
        kind = Defaults.required(kind, "kind");
        name = Defaults.string(name);
        uid = Defaults.optional(uid);
    }

    /** A reference to {@code resource}, with its uid when it has one. */
    public static ObjectReference to(Resource resource) {
        return new ObjectReference(resource.kind(), resource.metadata().name(), resource.metadata().uid());
    }
}
