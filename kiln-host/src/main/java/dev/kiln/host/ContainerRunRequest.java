package dev.kiln.host;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The body of {@code POST /v1/containers} ({@code kiln run}). Only {@code image} is required.
 *
 * @param image    a reference in the host's image store ({@code name[:tag]}, a digest or an id prefix)
 * @param name     unique on this host; default {@code <image name>-<6 hex>}
 * @param vm       a running VM to run in; default: a fresh microVM that is removed with the container
 * @param command  replaces the image's entrypoint
 * @param args     replaces the image's cmd
 * @param memory   the container's memory limit, e.g. {@code 256M}; a fresh VM gets this plus room for the guest
 * @param cpus     CPU quota in CPUs, e.g. {@code 0.5}
 * @param ports    host port forwards {@code HOSTPORT:CONTAINERPORT}
 * @param restart  {@code no}, {@code on-failure[:N]} or {@code always}
 * @param network  {@code vm} (the VM's network, the default; needed for ports) or {@code isolated}
 * @param vmMemory memory of a fresh VM; default 512M, or the container's limit plus 256M when that is more
 * @param volumes  guest paths bound into the container, {@code /mnt/vdb:/data[:ro]}
 * @param vmScratch scratch disk of a fresh VM (sparse; images and containers' layers live there); default 4G
 * @param disks    disk files for a fresh VM (as {@code kiln vm run --disk}), mounted in the guest at
 *                 {@code /mnt/vdb}, ... e.g. a shared read-only data drive
 * @param tenant   a fresh VM's tenant on the bridge, as {@link VmCreateRequest#tenant()} (default {@code default})
 * @param egress   a fresh VM's egress policy, {@code allow} (default) or {@code deny}, as
 *                 {@link VmCreateRequest#egress()}
 */
public record ContainerRunRequest(
        String image,
        Optional<String> name,
        Optional<String> vm,
        Optional<List<String>> command,
        Optional<List<String>> args,
        Optional<Map<String, String>> env,
        Optional<String> workdir,
        Optional<String> user,
        Optional<String> memory,
        Optional<Double> cpus,
        Optional<List<String>> ports,
        Optional<String> restart,
        Optional<Boolean> readOnly,
        Optional<String> network,
        Optional<String> vmMemory,
        Optional<List<String>> volumes,
        Optional<List<DiskRequest>> disks,
        Optional<String> vmScratch,
        Optional<String> tenant,
        Optional<String> egress) {

    public ContainerRunRequest {
        tenant = orEmpty(tenant);
        egress = orEmpty(egress);
        vmScratch = orEmpty(vmScratch);
        volumes = orEmpty(volumes);
        disks = orEmpty(disks);
        name = orEmpty(name);
        vm = orEmpty(vm);
        command = orEmpty(command);
        args = orEmpty(args);
        env = orEmpty(env);
        workdir = orEmpty(workdir);
        user = orEmpty(user);
        memory = orEmpty(memory);
        cpus = orEmpty(cpus);
        ports = orEmpty(ports);
        restart = orEmpty(restart);
        readOnly = orEmpty(readOnly);
        network = orEmpty(network);
        vmMemory = orEmpty(vmMemory);
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    public static ContainerRunRequest of(String image) {
        return new ContainerRunRequest(image, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty());
    }

    public ContainerRunRequest named(String n) {
        return new ContainerRunRequest(image, Optional.of(n), vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest inVm(String v) {
        return new ContainerRunRequest(image, name, Optional.of(v), command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withCommand(List<String> c) {
        return new ContainerRunRequest(image, name, vm, Optional.of(c), args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withArgs(List<String> a) {
        return new ContainerRunRequest(image, name, vm, command, Optional.of(a), env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withCpus(double c) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, Optional.of(c), ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    /** {@code no}, {@code on-failure[:N]} or {@code always}. */
    public ContainerRunRequest withRestart(String r) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                Optional.of(r), readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withMemory(String m) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, Optional.of(m), cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withPorts(List<String> p) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, Optional.of(p),
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withEnv(Map<String, String> e) {
        return new ContainerRunRequest(image, name, vm, command, args, Optional.of(e), workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withVolumes(List<String> v) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, Optional.of(v), disks, vmScratch, tenant, egress);
    }

    public ContainerRunRequest withDisks(List<DiskRequest> d) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, Optional.of(d), vmScratch, tenant, egress);
    }

    public ContainerRunRequest withVmScratch(String size) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, Optional.of(size), tenant, egress);
    }

    public ContainerRunRequest withVmMemory(String size) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, Optional.of(size), volumes, disks, vmScratch, tenant, egress);
    }

    /** A fresh VM's tenant: guests of other tenants cannot reach it on the bridge. */
    public ContainerRunRequest withTenant(String t) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, Optional.of(t), egress);
    }

    /** A fresh VM's egress policy: {@code allow} or {@code deny}. */
    public ContainerRunRequest withEgress(String e) {
        return new ContainerRunRequest(image, name, vm, command, args, env, workdir, user, memory, cpus, ports,
                restart, readOnly, network, vmMemory, volumes, disks, vmScratch, tenant, Optional.of(e));
    }
}
