package dev.kiln.host;

/**
 * Where a VM's start went, in milliseconds: host network (IP lease, tap, limits), VMM start (process spawn until
 * QMP answers), guest boot (until the ready line on the console), control port (until the guest's control
 * endpoint accepts TCP), agent (until the guest agent answers its health check; 0 for images without it).
 */
public record BootPhases(long networkMs, long vmmStartMs, long guestBootMs, long controlPortMs, long agentMs) {
    BootPhases withAgent(long ms) {
        return new BootPhases(networkMs, vmmStartMs, guestBootMs, controlPortMs, ms);
    }
}
