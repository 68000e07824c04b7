package dev.kiln.cluster.control;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Resource;
import dev.kiln.cluster.store.ResourceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Supplier;

/**
 * The narrow interface through which plans change the world: each {@link Action} becomes one store write. Updates
 * are conditional on the version the controller read, so an action planned from stale state fails with a conflict
 * and is skipped; the next pass plans again. An unreachable store ends the pass (the caller retries).
 */
public final class Applier {
    private static final Logger LOG = LoggerFactory.getLogger(Applier.class);

    private final ResourceStore store;
    private final Supplier<String> suffix;

    /** {@code suffix} makes the random part of generated names (five lowercase letters and digits). */
    public Applier(ResourceStore store, Supplier<String> suffix) {
        this.store = store;
        this.suffix = suffix;
    }

    /** What one pass did. */
    public record Result(int applied, int conflicts, int skipped) {
    }

    /** Applies at most {@code budget} actions, in order; events do not count against the budget. */
    public Result apply(List<Action> actions, int budget) {
        int applied = 0;
        int conflicts = 0;
        int skipped = 0;
        int spent = 0;
        for (Action a : actions) {
            boolean event = a instanceof Action.Emit;
            if (!event && spent >= budget) {
                skipped++;
                continue;
            }
            try {
                apply(a);
                applied++;
                if (!event) {
                    spent++;
                    LOG.info("{}: {}", a.controller(), a.describe());
                }
            } catch (ClusterException e) {
                switch (e.code()) {
                    case CONFLICT, NOT_FOUND, ALREADY_EXISTS -> {
                        conflicts++;
                        LOG.debug("{}: skipped '{}': {}", a.controller(), a.describe(), e.getMessage());
                    }
                    case UNAVAILABLE -> throw e;
                    default -> {
                        skipped++;
                        LOG.warn("{}: could not {}: {}", a.controller(), a.describe(), e.getMessage());
                    }
                }
            }
        }
        return new Result(applied, conflicts, skipped);
    }

    private void apply(Action action) {
        switch (action) {
            case Action.CreateNode a -> create(a.generateName(), a.node());
            case Action.CreatePod a -> create(a.generateName(), a.pod());
            case Action.DeleteNode a -> store.delete(Kind.NODE, a.node().name());
            case Action.DeletePod a -> store.delete(Kind.POD, a.pod().name());
            case Action.BindNode a -> store.update(a.node());
            case Action.BindPod a -> store.update(a.pod());
            case Action.UpdateNode a -> store.update(a.node());
            case Action.UpdatePod a -> store.update(a.pod());
            case Action.UpdateHost a -> store.update(a.host());
            case Action.UpdatePoolStatus a -> store.update(a.pool());
            case Action.UpdateDeploymentStatus a -> store.update(a.deployment());
            case Action.Emit a -> store.recordEvent(a.involved(), a.type(), a.reason(), a.message(), a.controller());
        }
    }

    /** Creates under a generated name; a name that is taken (a one-in-millions chance) is tried once more. */
    private void create(String generateName, Resource resource) {
        for (int attempt = 0; ; attempt++) {
            Resource named = resource.withMetadata(resource.metadata().withName(generateName + suffix.get()));
            try {
                store.create(named);
                return;
            } catch (ClusterException e) {
                if (e.code() != ClusterError.ALREADY_EXISTS || attempt > 0) {
                    throw e;
                }
            }
        }
    }
}
