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
        Optional<String> bootTimeout,
        Optional<String> scratch,
        Optional<String> tenant,
        Optional<String> egress,
        Optional<Boolean> hugePages) {

    public VmCreateRequest {
        name = orEmpty(name);
        vcpus = orEmpty(vcpus);
        memory = orEmpty(memory);
        disks = orEmpty(disks);
        netRate = orEmpty(netRate);
        diskRate = orEmpty(diskRate);
        driver = orEmpty(driver);
        bootTimeout = orEmpty(bootTimeout);
        scratch = orEmpty(scratch);
        tenant = orEmpty(tenant);
        egress = orEmpty(egress);
        hugePages = orEmpty(hugePages);
    }

    /** A request without a tenant or egress policy (the network's defaults: tenant "default", egress allowed). */
    public VmCreateRequest(Optional<String> name, Optional<Integer> vcpus, Optional<String> memory,
                           Optional<List<DiskRequest>> disks, Optional<NetRate> netRate, Optional<RateLimiterJson> diskRate,
                           Optional<String> driver, Optional<String> bootTimeout, Optional<String> scratch) {
        this(name, vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, scratch, Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    public static VmCreateRequest empty() {
        return new VmCreateRequest(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public VmCreateRequest withDisks(List<DiskRequest> d) {
        return new VmCreateRequest(name, vcpus, memory, Optional.of(d), netRate, diskRate, driver, bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest withNetRate(NetRate r) {
        return new VmCreateRequest(name, vcpus, memory, disks, Optional.of(r), diskRate, driver, bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest withDriver(String d) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, Optional.of(d), bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest withBootTimeout(String t) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, Optional.of(t), scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest withVcpus(int n) {
        return new VmCreateRequest(name, Optional.of(n), memory, disks, netRate, diskRate, driver, bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest withMemory(String m) {
        return new VmCreateRequest(name, vcpus, Optional.of(m), disks, netRate, diskRate, driver, bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    public VmCreateRequest named(String n) {
        return new VmCreateRequest(Optional.of(n), vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, scratch,
                tenant, egress, hugePages);
    }

    /** The size of the VM's scratch disk (sparse), e.g. {@code 16G}; default: the daemon's (4G). */
    public VmCreateRequest withScratch(String size) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, Optional.of(size),
                tenant, egress, hugePages);
    }

    /** The guest's tenant: guests of other tenants cannot reach it on the bridge (default: {@code default}). */
    public VmCreateRequest withTenant(String t) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, scratch,
                Optional.of(t), egress, hugePages);
    }

    /** {@code allow} (default) or {@code deny}: whether the guest may reach anything off the bridge. */
    public VmCreateRequest withEgress(String e) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, scratch, tenant,
                Optional.of(e), hugePages);
    }

    /** Back the guest's memory with the host's huge pages (which must be reserved: {@code vm.nr_hugepages}). */
    public VmCreateRequest withHugePages(boolean huge) {
        return new VmCreateRequest(name, vcpus, memory, disks, netRate, diskRate, driver, bootTimeout, scratch, tenant,
                egress, Optional.of(huge));
    }
}
