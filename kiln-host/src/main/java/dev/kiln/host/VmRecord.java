package dev.kiln.host;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import dev.kiln.vmm.VmHandle;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the agent persists about one VM (vms/ID/vm.json): the request it was made from, the network it got,
 * the driver's handle to re-attach to it, and what was last observed. Immutable; updates write a new one.
 *
 * @param hugePages the guest's memory is on the host's huge pages ({@code VmSpec.hugePages}); records written before
 *                  the field existed read as {@code false}
 */
public record VmRecord(
        String id,
        String name,
        String driver,
        int vcpus,
        String memory,
        List<DiskRequest> disks,
        Optional<NetRate> netRate,
        Optional<RateLimiterJson> diskRate,
        String tap,
        String mac,
        String ip,
        int prefixLength,
        String gateway,
        String bridge,
        String token,
        Optional<VmHandle> handle,
        Instant createdAt,
        Optional<Instant> readyAt,
        Optional<Long> bootMillis,
        Optional<BootPhases> bootPhases,
        String phase,
        Optional<String> cause,
        // absent in records written before the field existed: false, not an unreadable record
        @JsonSetter(nulls = Nulls.AS_EMPTY) boolean hugePages) {

    public VmRecord {
        disks = List.copyOf(disks);
    }

    public VmRecord withHandle(VmHandle h) {
        return new VmRecord(id, name, driver, vcpus, memory, disks, netRate, diskRate, tap, mac, ip, prefixLength, gateway,
                bridge, token, Optional.of(h), createdAt, readyAt, bootMillis, bootPhases, phase, cause,
                hugePages);
    }

    public VmRecord withPhase(String newPhase, Optional<String> newCause) {
        return new VmRecord(id, name, driver, vcpus, memory, disks, netRate, diskRate, tap, mac, ip, prefixLength, gateway,
                bridge, token, handle, createdAt, readyAt, bootMillis, bootPhases, newPhase, newCause,
                hugePages);
    }

    public VmRecord withReady(Instant at, long millis, BootPhases phases) {
        return new VmRecord(id, name, driver, vcpus, memory, disks, netRate, diskRate, tap, mac, ip, prefixLength, gateway,
                bridge, token, handle, createdAt, Optional.of(at), Optional.of(millis), Optional.of(phases), "running",
                Optional.empty(), hugePages);
    }
}
