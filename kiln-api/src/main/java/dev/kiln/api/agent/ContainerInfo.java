package dev.kiln.api.agent;

import java.time.Instant;
import java.util.Optional;

/**
 * A container as the agent sees it.
 *
 * @param imageDigest the image's manifest digest ({@code sha256:...})
 * @param exitCode    of the last run; 128+n when a signal n ended it (137: SIGKILL)
 * @param oomKilled   the last run was killed by the kernel's OOM killer for exceeding its memory limit
 * @param error       why it could not start (runc's error line), or what went wrong around it
 * @param restarts    how often the restart policy started it again
 * @param pid         of its init process, as the guest sees it, while it runs
 */
public record ContainerInfo(
        String id,
        String name,
        String image,
        String imageDigest,
        ContainerState state,
        Optional<Integer> exitCode,
        boolean oomKilled,
        Optional<String> error,
        Instant createdAt,
        Optional<Instant> startedAt,
        Optional<Instant> finishedAt,
        int restarts,
        Optional<Long> pid) {

    public ContainerInfo {
        id = Wire.text(id, "id");
        name = Wire.text(name, "name");
        image = Wire.text(image, "image");
        imageDigest = Wire.text(imageDigest, "imageDigest");
        state = Wire.required(state, "state");
        exitCode = Wire.opt(exitCode);
        error = Wire.opt(error);
        createdAt = Wire.required(createdAt, "createdAt");
        startedAt = Wire.opt(startedAt);
        finishedAt = Wire.opt(finishedAt);
        pid = Wire.opt(pid);
    }
}
