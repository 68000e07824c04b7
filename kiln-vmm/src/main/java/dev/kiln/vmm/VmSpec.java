package dev.kiln.vmm;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a VM is made of: one spec, either driver. Create-time only; what may change after boot is {@link VmUpdate}.
 * {@code identity} is what the guest learns about itself beyond its id; {@code channel} is how the host reaches its
 * agent. {@code hugePages} backs the guest's memory with the host's 2 MiB huge pages (which must be reserved:
 * {@code vm.nr_hugepages}). The nine- and eleven-argument constructors leave what they lack at the defaults (no
 * identity, the network, normal pages).
 */
public record VmSpec(
        VmId id,
        String name,
        int vcpus,
        ByteSize memory,
        Path kernel,
        Optional<Path> initrd,
        String bootArgs,
        List<DriveSpec> drives,
        List<NicSpec> nics,
        GuestIdentity identity,
        GuestChannel channel,
        boolean hugePages) {

    /** Below this the Debian kernel with kiln's initramfs does not reach user space. */
    public static final ByteSize MIN_MEMORY = ByteSize.ofMebibytes(64);
    public static final int MAX_VCPUS = 32;

    public VmSpec {
        if (name == null || !name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) {
            throw new VmmException(VmmError.INVALID_SPEC, "invalid VM name '" + name + "'",
                    "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (vcpus < 1 || vcpus > MAX_VCPUS) {
            throw new VmmException(VmmError.INVALID_SPEC, "vCPUs must be 1-" + MAX_VCPUS + ", got " + vcpus, "pass --vcpus 1");
        }
        if (memory.compareTo(MIN_MEMORY) < 0) {
            throw new VmmException(VmmError.INVALID_SPEC,
                    "memory " + memory + " is below the " + MIN_MEMORY + " the guest needs to boot", "pass --memory 128M or more");
        }
        kernel = kernel.toAbsolutePath().normalize();
        initrd = initrd.map(p -> p.toAbsolutePath().normalize());
        bootArgs = bootArgs == null ? "" : bootArgs.strip();
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(channel, "channel");
        drives = List.copyOf(drives);
        nics = List.copyOf(nics);
        if (drives.stream().map(DriveSpec::id).distinct().count() != drives.size()) {
            throw new VmmException(VmmError.INVALID_SPEC, "drive ids must be unique", "give each drive its own id");
        }
        if (nics.stream().map(NicSpec::id).distinct().count() != nics.size()) {
            throw new VmmException(VmmError.INVALID_SPEC, "NIC ids must be unique", "give each NIC its own id");
        }
    }

    public VmSpec(VmId id, String name, int vcpus, ByteSize memory, Path kernel, Optional<Path> initrd, String bootArgs,
            List<DriveSpec> drives, List<NicSpec> nics) {
        this(id, name, vcpus, memory, kernel, initrd, bootArgs, drives, nics, GuestIdentity.none(), GuestChannel.NETWORK);
    }

    public VmSpec(VmId id, String name, int vcpus, ByteSize memory, Path kernel, Optional<Path> initrd, String bootArgs,
            List<DriveSpec> drives, List<NicSpec> nics, GuestIdentity identity, GuestChannel channel) {
        this(id, name, vcpus, memory, kernel, initrd, bootArgs, drives, nics, identity, channel, false);
    }

    public VmSpec withHugePages(boolean huge) {
        return new VmSpec(id, name, vcpus, memory, kernel, initrd, bootArgs, drives, nics, identity, channel, huge);
    }

    public VmSpec withIdentity(GuestIdentity newIdentity) {
        return new VmSpec(id, name, vcpus, memory, kernel, initrd, bootArgs, drives, nics, newIdentity, channel, hugePages);
    }

    public VmSpec withChannel(GuestChannel newChannel) {
        return new VmSpec(id, name, vcpus, memory, kernel, initrd, bootArgs, drives, nics, identity, newChannel, hugePages);
    }
}
