package dev.kiln.host;

import dev.kiln.api.agent.ContainerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A container as the API shows it: the host's record and, when its guest agent answered, what the agent knows
 * (state, exit code, OOM kill, times). {@code state} is the agent's, or {@code unknown} with the reason in
 * {@code error} when the agent could not be asked.
 */
public record ContainerView(String name, String id, String image, String imageDigest, String vm, String vmIp,
                            boolean ownsVm, List<String> ports, String state, Optional<Integer> exitCode,
                            boolean oomKilled, Optional<String> error, Instant createdAt, Optional<Instant> startedAt,
                            Optional<Instant> finishedAt, int restarts) {

    static ContainerView of(ContainerRecord r, String vmIp, ContainerInfo info) {
        return new ContainerView(r.name(), r.agentId(), r.image(), r.imageDigest(), r.vmName(), vmIp, r.ownsVm(),
                r.ports().stream().map(PortMapping::toString).toList(), info.state().name().toLowerCase(java.util.Locale.ROOT),
                info.exitCode(), info.oomKilled(), info.error(), r.createdAt(), info.startedAt(), info.finishedAt(),
                info.restarts());
    }

    static ContainerView unknown(ContainerRecord r, String vmIp, String why) {
        return new ContainerView(r.name(), r.agentId(), r.image(), r.imageDigest(), r.vmName(), vmIp, r.ownsVm(),
                r.ports().stream().map(PortMapping::toString).toList(), "unknown", Optional.empty(), false,
                Optional.of(why), r.createdAt(), Optional.empty(), Optional.empty(), 0);
    }
}
