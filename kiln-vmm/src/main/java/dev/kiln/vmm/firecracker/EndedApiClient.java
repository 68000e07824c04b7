package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import java.nio.file.Path;

/** The API of a Firecracker found gone at recovery: nothing is connected, and every call fails the same way. */
record EndedApiClient(Path apiSocket) implements FirecrackerApiClient {
    @Override
    public void send(FcRequest request) {
        throw gone();
    }

    @Override
    public InstanceInfo describeInstance() {
        throw gone();
    }

    @Override
    public MachineConfig machineConfig() {
        throw gone();
    }

    @Override
    public void close() {}

    private VmmException gone() {
        return new VmmException(VmmError.VMM_DIED, "Firecracker on " + apiSocket + " is gone", "remove the VM");
    }
}
