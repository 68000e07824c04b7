package dev.kiln.vmm.firecracker;

import static dev.kiln.vmm.firecracker.FcChecks.invalid;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.api.RateLimiter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Every Firecracker API call kiln makes, as one closed set of typed commands (Firecracker API v1.16). Each record
 * validates its input on construction, so a bad value is refused before anything is sent. {@link FcCall#callOf}
 * is the one place that maps a command to its method, path, JSON body and the phase in which it is allowed.
 *
 * <p>Create and update are different types: {@link PutDrive} / {@link PatchDrive} and {@link PutNetworkInterface} /
 * {@link PatchNetworkInterface}; a patch carries only what Firecracker lets change after boot.
 */
public sealed interface FcRequest {

    // ---- pre-boot configuration -------------------------------------------------------------------------------

    /** {@code PUT /logger}. */
    record PutLogger(Path logPath, LogLevel level, boolean showLevel, boolean showLogOrigin) implements FcRequest {
        public PutLogger {
            FcChecks.path("logPath", logPath);
            Objects.requireNonNull(level, "level");
        }

        public static PutLogger to(Path logPath, LogLevel level) {
            return new PutLogger(logPath, level, true, false);
        }
    }

    /** {@code PUT /metrics}. */
    record PutMetrics(Path metricsPath) implements FcRequest {
        public PutMetrics {
            FcChecks.path("metricsPath", metricsPath);
        }
    }

    /**
     * {@code PUT /machine-config}. Firecracker allows 1 to 32 vCPUs, and with SMT only 1 or an even count; kiln
     * always requires 1 or an even count so that a spec is valid on every host whatever its SMT setting. Memory
     * must be at least {@link #MIN_MEM_MIB} MiB, and a multiple of 2 with 2M huge pages (spec).
     */
    record PutMachineConfig(int vcpuCount, int memSizeMib, boolean smt, HugePages hugePages, boolean trackDirtyPages)
            implements FcRequest {
        public static final int MAX_VCPUS = 32;
        /** kiln's floor: Firecracker's default size, and below it a stock guest kernel plus agent does not boot. */
        public static final int MIN_MEM_MIB = 128;

        public PutMachineConfig {
            Objects.requireNonNull(hugePages, "hugePages");
            if (vcpuCount < 1 || vcpuCount > MAX_VCPUS) {
                throw invalid("vCPU count " + vcpuCount + " is outside Firecracker's range 1.." + MAX_VCPUS,
                        "ask for 1 to " + MAX_VCPUS + " vCPUs");
            }
            if (vcpuCount > 1 && vcpuCount % 2 != 0) {
                throw invalid("vCPU count " + vcpuCount + " is odd; Firecracker needs 1 or an even count",
                        "ask for " + (vcpuCount - 1) + " or " + (vcpuCount + 1) + " vCPUs");
            }
            if (memSizeMib < MIN_MEM_MIB) {
                throw invalid("memory " + memSizeMib + " MiB is below kiln's minimum of " + MIN_MEM_MIB + " MiB",
                        "ask for at least " + MIN_MEM_MIB + " MiB");
            }
            if (hugePages == HugePages.TWO_MB && memSizeMib % 2 != 0) {
                throw invalid("memory " + memSizeMib + " MiB is not a multiple of 2 MiB, needed for 2M huge pages",
                        "round the memory size to an even number of MiB");
            }
        }

        public static PutMachineConfig of(int vcpuCount, int memSizeMib) {
            return new PutMachineConfig(vcpuCount, memSizeMib, false, HugePages.NONE, false);
        }
    }

    /** {@code PUT /boot-source}. Empty {@code bootArgs} leaves Firecracker's default command line. */
    record PutBootSource(Path kernelImagePath, Optional<Path> initrdPath, String bootArgs) implements FcRequest {
        public PutBootSource {
            FcChecks.path("kernelImagePath", kernelImagePath);
            Objects.requireNonNull(initrdPath, "initrdPath");
            Objects.requireNonNull(bootArgs, "bootArgs");
            initrdPath.ifPresent(p -> FcChecks.path("initrdPath", p));
        }

        public static PutBootSource of(Path kernel, String bootArgs) {
            return new PutBootSource(kernel, Optional.empty(), bootArgs);
        }
    }

    /** {@code PUT /drives/{drive_id}}: a virtio-block drive. An unlimited rate limiter is not sent. */
    record PutDrive(String driveId, Path pathOnHost, boolean isRootDevice, boolean isReadOnly, CacheType cacheType,
            IoEngine ioEngine, RateLimiter rateLimiter) implements FcRequest {
        public PutDrive {
            FcChecks.id("drive id", driveId);
            FcChecks.path("pathOnHost", pathOnHost);
            Objects.requireNonNull(cacheType, "cacheType");
            Objects.requireNonNull(ioEngine, "ioEngine");
            Objects.requireNonNull(rateLimiter, "rateLimiter");
        }

        public static PutDrive of(String driveId, Path pathOnHost, boolean isRootDevice, boolean isReadOnly) {
            return new PutDrive(driveId, pathOnHost, isRootDevice, isReadOnly, CacheType.UNSAFE, IoEngine.SYNC,
                    RateLimiter.none());
        }
    }

    /** {@code PUT /network-interfaces/{iface_id}}. An unlimited rate limiter is not sent. */
    record PutNetworkInterface(String ifaceId, String hostDevName, Optional<String> guestMac, RateLimiter rxRateLimiter,
            RateLimiter txRateLimiter) implements FcRequest {
        public PutNetworkInterface {
            FcChecks.id("interface id", ifaceId);
            FcChecks.tapName(hostDevName);
            Objects.requireNonNull(guestMac, "guestMac");
            guestMac.ifPresent(FcChecks::mac);
            Objects.requireNonNull(rxRateLimiter, "rxRateLimiter");
            Objects.requireNonNull(txRateLimiter, "txRateLimiter");
        }

        public static PutNetworkInterface of(String ifaceId, String hostDevName, String guestMac) {
            return new PutNetworkInterface(ifaceId, hostDevName, Optional.of(guestMac), RateLimiter.none(),
                    RateLimiter.none());
        }
    }

    /** {@code PUT /vsock}: guest CID at least 3 (spec); Firecracker binds {@code udsPath} itself. */
    record PutVsock(long guestCid, Path udsPath) implements FcRequest {
        public static final long MIN_GUEST_CID = 3;
        public static final long MAX_GUEST_CID = 0xFFFF_FFFEL;

        public PutVsock {
            if (guestCid < MIN_GUEST_CID || guestCid > MAX_GUEST_CID) {
                throw invalid("vsock guest CID " + guestCid + " is reserved or out of range",
                        "use a CID from 3 to 4294967294, unique on the host");
            }
            FcChecks.socketPath("vsock uds_path", udsPath);
        }
    }

    /** {@code PUT /entropy}: a virtio-rng device, optionally rate limited. */
    record PutEntropy(RateLimiter rateLimiter) implements FcRequest {
        public PutEntropy {
            Objects.requireNonNull(rateLimiter, "rateLimiter");
        }
    }

    /** {@code PUT /balloon}. A zero statistics interval leaves statistics off. */
    record PutBalloon(int amountMib, boolean deflateOnOom, Duration statsPollingInterval, boolean freePageHinting,
            boolean freePageReporting) implements FcRequest {
        public PutBalloon {
            Objects.requireNonNull(statsPollingInterval, "statsPollingInterval");
            if (amountMib < 0) {
                throw invalid("balloon size " + amountMib + " MiB is negative", "use 0 for an empty balloon");
            }
            if (statsPollingInterval.isNegative() || statsPollingInterval.toNanosPart() != 0
                    || statsPollingInterval.getSeconds() > Integer.MAX_VALUE) {
                throw invalid("balloon statistics interval " + statsPollingInterval + " is not a whole number of seconds",
                        "use e.g. 1s, or 0 to turn statistics off");
            }
        }
    }

    /** {@code PUT /mmds/config}: kiln always uses MMDS version 2 (session tokens). */
    record PutMmdsConfig(List<String> networkInterfaces, Optional<String> ipv4Address) implements FcRequest {
        public PutMmdsConfig {
            networkInterfaces = List.copyOf(networkInterfaces);
            if (networkInterfaces.isEmpty()) {
                throw invalid("MMDS needs at least one network interface", "name the interface that serves MMDS, e.g. eth0");
            }
            networkInterfaces.forEach(i -> FcChecks.id("MMDS interface id", i));
            Objects.requireNonNull(ipv4Address, "ipv4Address");
            ipv4Address.ifPresent(a -> {
                if (!a.matches("169\\.254\\.([1-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])"
                        + "\\.([0-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-5])")) {
                    throw invalid("MMDS address " + a + " is not an IPv4 link-local address",
                            "use 169.254.1.0 to 169.254.254.255, default 169.254.169.254");
                }
            });
        }

        public static PutMmdsConfig on(String... ifaces) {
            return new PutMmdsConfig(List.of(ifaces), Optional.empty());
        }
    }

    /** {@code PUT /snapshot/load}: only on a fresh process (nothing but logger and metrics configured). */
    record LoadSnapshot(Path snapshotPath, MemBackend memBackend, boolean trackDirtyPages, boolean resumeVm,
            List<NetworkOverride> networkOverrides, Optional<Path> vsockOverride) implements FcRequest {
        public LoadSnapshot {
            FcChecks.path("snapshotPath", snapshotPath);
            Objects.requireNonNull(memBackend, "memBackend");
            networkOverrides = List.copyOf(networkOverrides);
            Objects.requireNonNull(vsockOverride, "vsockOverride");
            vsockOverride.ifPresent(p -> FcChecks.socketPath("vsock override uds_path", p));
        }
    }

    /** {@code PUT /actions} {@code InstanceStart}: boots the configured guest. */
    record InstanceStart() implements FcRequest {}

    // ---- after boot -------------------------------------------------------------------------------------------

    /** {@code PATCH /drives/{drive_id}}: after boot only the backing file and the rate limiter may change. */
    record PatchDrive(String driveId, Optional<Path> pathOnHost, Optional<RateLimiter> rateLimiter)
            implements FcRequest {
        public PatchDrive {
            FcChecks.id("drive id", driveId);
            Objects.requireNonNull(pathOnHost, "pathOnHost");
            Objects.requireNonNull(rateLimiter, "rateLimiter");
            pathOnHost.ifPresent(p -> FcChecks.path("pathOnHost", p));
            if (pathOnHost.isEmpty() && rateLimiter.isEmpty()) {
                throw invalid("drive update for " + driveId + " changes nothing", "give a new path or a rate limiter");
            }
        }
    }

    /**
     * {@code PATCH /network-interfaces/{iface_id}}: only the rate limiters. An empty Optional leaves that direction
     * as it is; within a given limiter, a present but disabled bucket turns that limit off.
     */
    record PatchNetworkInterface(String ifaceId, Optional<RateLimiter> rxRateLimiter,
            Optional<RateLimiter> txRateLimiter) implements FcRequest {
        public PatchNetworkInterface {
            FcChecks.id("interface id", ifaceId);
            Objects.requireNonNull(rxRateLimiter, "rxRateLimiter");
            Objects.requireNonNull(txRateLimiter, "txRateLimiter");
            if (rxRateLimiter.isEmpty() && txRateLimiter.isEmpty()) {
                throw invalid("interface update for " + ifaceId + " changes nothing", "give an rx or tx rate limiter");
            }
        }
    }

    /** {@code PATCH /vm}: pause or resume a started guest. */
    record PatchVm(VmState state) implements FcRequest {
        public PatchVm {
            Objects.requireNonNull(state, "state");
        }
    }

    /** {@code PUT /snapshot/create}: the guest should be paused first. */
    record CreateSnapshot(Path snapshotPath, Path memFilePath, SnapshotType snapshotType) implements FcRequest {
        public CreateSnapshot {
            FcChecks.path("snapshotPath", snapshotPath);
            FcChecks.path("memFilePath", memFilePath);
            Objects.requireNonNull(snapshotType, "snapshotType");
        }
    }

    /** {@code PUT /actions} {@code SendCtrlAltDel}: asks an x86 guest to reboot (kiln's graceful stop). */
    record SendCtrlAltDel() implements FcRequest {}

    // ---- any time ---------------------------------------------------------------------------------------------

    /**
     * {@code PUT /actions} {@code FlushMetrics}: writes the metrics gathered since the last flush now instead of at
     * the next periodic flush. Firecracker handles it before and after boot (its pre-boot and runtime controllers
     * both take it), once metrics are configured.
     */
    record FlushMetrics() implements FcRequest {}

    /** {@code PUT /mmds}: replaces the whole MMDS data store with a JSON object. */
    record PutMmds(JsonNode data) implements FcRequest {
        public PutMmds {
            Objects.requireNonNull(data, "data");
            if (!data.isObject()) {
                throw invalid("MMDS data must be a JSON object, not " + data.getNodeType(),
                        "wrap the values in an object, e.g. {\"latest\": {...}}");
            }
            data = data.deepCopy();
        }

        @Override
        public JsonNode data() {
            return data.deepCopy();
        }

        /** The data as the body to send (a private copy). */
        ObjectNode body() {
            return (ObjectNode) data.deepCopy();
        }
    }

    // ---- value types ------------------------------------------------------------------------------------------

    /** Firecracker's log levels. */
    enum LogLevel {
        ERROR("Error"), WARNING("Warning"), INFO("Info"), DEBUG("Debug"), TRACE("Trace"), OFF("Off");

        private final String wire;

        LogLevel(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    enum HugePages {
        NONE("None"), TWO_MB("2M");

        private final String wire;

        HugePages(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }
    }

    /** Whether the guest's flushes reach the host disk ({@code WRITEBACK}) or are ignored ({@code UNSAFE}). */
    enum CacheType {
        UNSAFE("Unsafe"), WRITEBACK("Writeback");

        private final String wire;

        CacheType(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    /** Block IO engine; {@code ASYNC} is io_uring and needs a host kernel newer than 5.10.51. */
    enum IoEngine {
        SYNC("Sync"), ASYNC("Async");

        private final String wire;

        IoEngine(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    /** The states {@code PATCH /vm} can ask for. */
    enum VmState {
        PAUSED("Paused"), RESUMED("Resumed");

        private final String wire;

        VmState(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    /** A full snapshot, or only the memory dirtied since the last one (needs dirty page tracking). */
    enum SnapshotType {
        FULL("Full"), DIFF("Diff");

        private final String wire;

        SnapshotType(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    /** Where a loaded snapshot's memory comes from: a file, or a userfaultfd handler listening on a socket. */
    record MemBackend(MemBackendType type, Path path) {
        public MemBackend {
            Objects.requireNonNull(type, "type");
            FcChecks.path("memBackend path", path);
            if (type == MemBackendType.UFFD) {
                FcChecks.socketPath("UFFD handler socket", path);
            }
        }

        public static MemBackend file(Path path) {
            return new MemBackend(MemBackendType.FILE, path);
        }
    }

    /** How a restored guest's memory is served. */
    enum MemBackendType {
        FILE("File"), UFFD("Uffd");

        private final String wire;

        MemBackendType(String wire) {
            this.wire = wire;
        }

        /** The spec's spelling. */
        public String wire() {
            return wire;
        }
    }

    /** On restore, back interface {@code ifaceId} with another tap. */
    record NetworkOverride(String ifaceId, String hostDevName) {
        public NetworkOverride {
            FcChecks.id("interface id", ifaceId);
            FcChecks.tapName(hostDevName);
        }
    }
}
