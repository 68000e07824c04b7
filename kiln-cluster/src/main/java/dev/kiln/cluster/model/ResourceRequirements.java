package dev.kiln.cluster.model;

import java.util.Optional;

/** What a container asks for (the scheduler places by requests) and, optionally, the most it may use. */
public record ResourceRequirements(Resources requests, Optional<Resources> limits) {
    public static final ResourceRequirements NONE = new ResourceRequirements(Resources.ZERO, Optional.empty());

    public ResourceRequirements {
        requests = Defaults.or(requests, Resources.ZERO);
        limits = Defaults.optional(limits);
    }

    /** Requests without limits. */
    public static ResourceRequirements requests(Resources requests) {
        return new ResourceRequirements(requests, Optional.empty());
    }
}
