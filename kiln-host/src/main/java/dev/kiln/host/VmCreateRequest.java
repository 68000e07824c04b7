package dev.kiln.host;

import java.util.List;
import java.util.Optional;

/** The body of POST /v1/vms. Every field is optional; {@link #withDefaults()} fills them. */
public record VmCreateRequest(
        Optional<String> name,
        Optional<Integer> vcpus,
        Optional<String> memory,
        Optional<List<DiskRequest>> disks,
        Optional<NetRate> netRate,
        Optional<RateLimiterJson> diskRate,
        Optional<String> driver,
        Optional<String> bootTimeout) {

    public VmCreateRequest {
        name = orEmpty(name);
        vcpus = orEmpty(vcpus);
        memory = orEmpty(memory);
        disks = orEmpty(disks);
        netRate = orEmpty(netRate);
        diskRate = orEmpty(diskRate);
        driver = orEmpty(driver);
        bootTimeout = orEmpty(bootTimeout);
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    public static VmCreateRequest empty() {
        return new VmCreateRequest(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public VmCreateRequest withDisks(List<DiskRequest> d) {
        return new VmCreateRequest(name, vcpus, memory, Optional.of(d), netRate, diskRate, driver, bootTimeout);
    }

    public VmCreateRequest withNetRate(NetRate r) {
        return new VmCreateRequest(name, vcpus, memory, disks, Optional.of(r), diskRate, driver, bootTimeout);
    }

    public VmCreateRequest withDriver(String d) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, Optional.of(d), bootTimeout);
    }

    public VmCreateRequest withBootTimeout(String t) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, Optional.of(t));
    }

    public VmCreateRequest withMemory(String m) {
        return new VmCreateRequest(name, vcpus, Optional.of(m), disks, netRate, diskRate, driver, bootTimeout);
    }

    public VmCreateRequest named(String n) {
        return new VmCreateRequest(Optional.of(n), vcpus, memory, disks, netRate, diskRate, driver, bootTimeout);
    }
}
