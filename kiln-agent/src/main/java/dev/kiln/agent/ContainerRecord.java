package dev.kiln.agent;

import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;

/**
 * A container as persisted in its bundle ({@code container.json}): what the API showed, the spec it was made from,
 * where its root and cgroup are, and whether a stop was asked for (so that a restarted agent does not restart it).
 */
record ContainerRecord(ContainerInfo info, ContainerSpec spec, String rootfs, String cgroupPath,
                       boolean stopRequested) {
}
