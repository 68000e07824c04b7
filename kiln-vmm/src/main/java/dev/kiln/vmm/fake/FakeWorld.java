package dev.kiln.vmm.fake;

import dev.kiln.vmm.VmId;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The "hardware" fake VMs run on. It outlives any one driver instance, as real VMM processes outlive the agent,
 * so a new driver can recover them. Tests crash a VM here to simulate a VMM that dies.
 */
public final class FakeWorld implements AutoCloseable {
    final Clock clock;
    final ScheduledExecutorService timers = Executors.newScheduledThreadPool(1, Thread.ofVirtual().factory());
    final Map<VmId, FakeVm> vms = new ConcurrentHashMap<>();

    public FakeWorld(Clock clock) {
        this.clock = clock;
    }

    /** Makes a running fake VM die as if its VMM process got SIGKILL. */
    public void crash(VmId id) {
        FakeVm vm = vms.get(id);
        if (vm != null) vm.die(137, false, false);
    }

    public int runningCount() {
        return (int) vms.values().stream().filter(v -> !v.ended()).count();
    }

    @Override
    public void close() {
        timers.shutdownNow();
    }
}
