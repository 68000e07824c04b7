package dev.kiln.cluster.api;

import dev.kiln.cluster.model.Kind;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Every call the cluster API serves, as {@link Routes} reads it from a request. {@link ApiHandler} handles them in
 * one exhaustive switch, so a new call cannot be routed and then forgotten.
 */
sealed interface ApiCall {
    /** {@code GET /healthz}. */
    record Health() implements ApiCall {
    }

    /**
     * {@code GET /apis/kiln.dev/v1/<plural>}; for events also filtered by the object they are about.
     */
    record List(Kind kind, LabelSelector selector, Optional<Kind> involvedKind, Optional<String> involvedName)
            implements ApiCall {
    }

    /** {@code GET /apis/kiln.dev/v1/<plural>?watch=true[&resourceVersion=N]}: changes after revision N. */
    record Watch(Kind kind, OptionalLong resourceVersion) implements ApiCall {
    }

    /** {@code GET /apis/kiln.dev/v1/<plural>/<name>}. */
    record Get(Kind kind, String name) implements ApiCall {
    }

    /** {@code POST /apis/kiln.dev/v1/<plural>}. */
    record Create(Kind kind) implements ApiCall {
    }

    /** {@code PUT /apis/kiln.dev/v1/<plural>/<name>}: a replace with optimistic concurrency. */
    record Update(Kind kind, String name) implements ApiCall {
    }

    /** {@code PUT /apis/kiln.dev/v1/<plural>/<name>?apply=true}: server-side apply. */
    record Apply(Kind kind, String name) implements ApiCall {
    }

    /** {@code PUT /apis/kiln.dev/v1/<deployments|nodepools>/<name>/scale}. */
    record Scale(Kind kind, String name) implements ApiCall {
    }

    /** {@code DELETE /apis/kiln.dev/v1/<plural>/<name>}. */
    record Delete(Kind kind, String name) implements ApiCall {
    }

    /** {@code GET /apis/kiln.dev/v1/pods/<name>/log[?container=C][&follow=true]}. */
    record PodLog(String pod, Optional<String> container, boolean follow) implements ApiCall {
    }
}
