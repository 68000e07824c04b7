package dev.kiln.vmm.firecracker;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A client of one Firecracker process's API socket. Every call is synchronous and bounded by the timeout given at
 * creation. A refusal by Firecracker is a {@link FirecrackerApiException} carrying its status and fault message;
 * not reaching the socket is a {@link dev.kiln.vmm.VmmException}.
 */
public interface FirecrackerApiClient extends AutoCloseable {

    /**
     * A client for the API socket at {@code apiSocket}. Nothing is connected yet; the path is checked now against
     * Linux's limit on Unix socket paths (107 bytes), so an unusable path fails here and not at first use.
     */
    static FirecrackerApiClient create(Path apiSocket, Duration timeout) {
        return JettyFirecrackerApiClient.start(apiSocket, timeout);
    }

    /** Sends one request and requires Firecracker's success status (204). */
    void send(FcRequest request);

    /** {@code GET /}. */
    InstanceInfo describeInstance();

    /** {@code GET /machine-config}. */
    MachineConfig machineConfig();

    /** The socket this client talks to. */
    Path apiSocket();

    @Override
    void close();
}
