package dev.kiln.vmm.firecracker;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.firecracker.FcRequest.CacheType;
import dev.kiln.vmm.firecracker.FcRequest.CreateSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.FlushMetrics;
import dev.kiln.vmm.firecracker.FcRequest.HugePages;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.IoEngine;
import dev.kiln.vmm.firecracker.FcRequest.LoadSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.LogLevel;
import dev.kiln.vmm.firecracker.FcRequest.MemBackend;
import dev.kiln.vmm.firecracker.FcRequest.NetworkOverride;
import dev.kiln.vmm.firecracker.FcRequest.PatchDrive;
import dev.kiln.vmm.firecracker.FcRequest.PatchNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PatchVm;
import dev.kiln.vmm.firecracker.FcRequest.PutBalloon;
import dev.kiln.vmm.firecracker.FcRequest.PutBootSource;
import dev.kiln.vmm.firecracker.FcRequest.PutDrive;
import dev.kiln.vmm.firecracker.FcRequest.PutEntropy;
import dev.kiln.vmm.firecracker.FcRequest.PutLogger;
import dev.kiln.vmm.firecracker.FcRequest.PutMachineConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutMetrics;
import dev.kiln.vmm.firecracker.FcRequest.PutMmds;
import dev.kiln.vmm.firecracker.FcRequest.PutMmdsConfig;
import dev.kiln.vmm.firecracker.FcRequest.PutNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PutVsock;
import dev.kiln.vmm.firecracker.FcRequest.SendCtrlAltDel;
import dev.kiln.vmm.firecracker.FcRequest.SnapshotType;
import dev.kiln.vmm.firecracker.FcRequest.VmState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One realistic instance of every {@link FcRequest} variant, as kiln would send them. */
final class FcSamples {
    private FcSamples() {}

    static final Path DIR = Path.of("/run/kiln/vm-7f3a");

    /** 10 MB per 100 ms with a 50 MB first burst; 1000 ops per second with a 200 op burst. */
    static RateLimiter bothBuckets() {
        return new RateLimiter(Optional.of(new TokenBucket(10_000_000, 50_000_000, Duration.ofMillis(100))),
                Optional.of(new TokenBucket(1000, 200, Duration.ofSeconds(1))));
    }

    static ObjectNode mmdsData() {
        ObjectNode data = new ObjectMapper().createObjectNode();
        ObjectNode latest = data.putObject("latest");
        latest.putObject("meta-data").put("instance-id", "vm-7f3a").put("local-ipv4", "10.20.0.2");
        latest.putObject("kiln").put("function", "thumbnail").putArray("env").add("A=1").add("B=2");
        return data;
    }

    static List<FcRequest> all() {
        return List.of(
                PutLogger.to(DIR.resolve("firecracker.log"), LogLevel.INFO),
                new PutMetrics(DIR.resolve("metrics.json")),
                new PutMachineConfig(2, 512, false, HugePages.NONE, true),
                new PutBootSource(DIR.resolve("vmlinux"), Optional.of(DIR.resolve("initrd.img")),
                        "console=ttyS0 reboot=k panic=1 pci=off"),
                new PutDrive("rootfs", DIR.resolve("rootfs.ext4"), true, false, CacheType.WRITEBACK, IoEngine.ASYNC,
                        bothBuckets()),
                new PutNetworkInterface("eth0", "kiln-tap7f3a", Optional.of("06:00:0a:14:00:02"), bothBuckets(),
                        RateLimiter.bandwidth(TokenBucket.of(5_000_000, Duration.ofMillis(100)))),
                new PutVsock(42, DIR.resolve("vsock.sock")),
                new PutEntropy(new RateLimiter(Optional.of(TokenBucket.of(4096, Duration.ofSeconds(1))),
                        Optional.empty())),
                new PutBalloon(64, true, Duration.ofSeconds(1), false, true),
                PutMmdsConfig.on("eth0"),
                new PutMmds(mmdsData()),
                new InstanceStart(),
                new PatchDrive("rootfs", Optional.of(DIR.resolve("rootfs-2.ext4")), Optional.of(bothBuckets())),
                new PatchNetworkInterface("eth0", Optional.of(bothBuckets()), Optional.of(RateLimiter.none())),
                new PatchVm(VmState.PAUSED),
                new CreateSnapshot(DIR.resolve("snap.state"), DIR.resolve("snap.mem"), SnapshotType.FULL),
                new LoadSnapshot(DIR.resolve("snap.state"), MemBackend.file(DIR.resolve("snap.mem")), true, true,
                        List.of(new NetworkOverride("eth0", "kiln-tap9b1c")),
                        Optional.of(DIR.resolve("vsock-restored.sock"))),
                new SendCtrlAltDel(),
                new FlushMetrics());
    }
}
