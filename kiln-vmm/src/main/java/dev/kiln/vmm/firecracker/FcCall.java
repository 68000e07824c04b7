package dev.kiln.vmm.firecracker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.firecracker.FcRequest.CreateSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.FlushMetrics;
import dev.kiln.vmm.firecracker.FcRequest.InstanceStart;
import dev.kiln.vmm.firecracker.FcRequest.LoadSnapshot;
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
import java.util.Objects;
import java.util.Optional;

/**
 * One Firecracker HTTP call: method, path (ids included), JSON body, and when Firecracker accepts it.
 * {@link #callOf} is the single place that maps every {@link FcRequest} to its call; field names are the spec's.
 */
public record FcCall(Method method, String path, Optional<JsonNode> body, AllowedWhen allowedWhen) {
    /** The HTTP methods of the Firecracker API. */
    public enum Method { GET, PUT, PATCH }

    private static final ObjectMapper JSON = new ObjectMapper();

    public FcCall {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(allowedWhen, "allowedWhen");
    }

    /** The body, as a private copy. */
    @Override
    public Optional<JsonNode> body() {
        return body.map(JsonNode::deepCopy);
    }

    /** {@code "PUT /drives/rootfs"}: how the call is named in errors and logs. */
    public String describe() {
        return method + " " + path;
    }

    public static FcCall callOf(FcRequest request) {
        return switch (request) {
            case PutLogger r -> {
                ObjectNode b = obj();
                b.put("log_path", r.logPath().toString());
                b.put("level", r.level().wire());
                b.put("show_level", r.showLevel());
                b.put("show_log_origin", r.showLogOrigin());
                yield put("/logger", b, AllowedWhen.PRE_BOOT);
            }
            case PutMetrics r -> put("/metrics", obj().put("metrics_path", r.metricsPath().toString()),
                    AllowedWhen.PRE_BOOT);
            case PutMachineConfig r -> {
                ObjectNode b = obj();
                b.put("vcpu_count", r.vcpuCount());
                b.put("mem_size_mib", r.memSizeMib());
                b.put("smt", r.smt());
                b.put("track_dirty_pages", r.trackDirtyPages());
                b.put("huge_pages", r.hugePages().wire());
                yield put("/machine-config", b, AllowedWhen.PRE_BOOT);
            }
            case PutBootSource r -> {
                ObjectNode b = obj().put("kernel_image_path", r.kernelImagePath().toString());
                r.initrdPath().ifPresent(p -> b.put("initrd_path", p.toString()));
                if (!r.bootArgs().isEmpty()) {
                    b.put("boot_args", r.bootArgs());
                }
                yield put("/boot-source", b, AllowedWhen.PRE_BOOT);
            }
            case PutDrive r -> {
                ObjectNode b = obj();
                b.put("drive_id", r.driveId());
                b.put("path_on_host", r.pathOnHost().toString());
                b.put("is_root_device", r.isRootDevice());
                b.put("is_read_only", r.isReadOnly());
                b.put("cache_type", r.cacheType().wire());
                b.put("io_engine", r.ioEngine().wire());
                createLimiter(r.rateLimiter()).ifPresent(l -> b.set("rate_limiter", l));
                yield put("/drives/" + r.driveId(), b, AllowedWhen.PRE_BOOT);
            }
            case PutNetworkInterface r -> {
                ObjectNode b = obj();
                b.put("iface_id", r.ifaceId());
                b.put("host_dev_name", r.hostDevName());
                r.guestMac().ifPresent(m -> b.put("guest_mac", m));
                createLimiter(r.rxRateLimiter()).ifPresent(l -> b.set("rx_rate_limiter", l));
                createLimiter(r.txRateLimiter()).ifPresent(l -> b.set("tx_rate_limiter", l));
                yield put("/network-interfaces/" + r.ifaceId(), b, AllowedWhen.PRE_BOOT);
            }
            case PutVsock r -> put("/vsock",
                    obj().put("guest_cid", r.guestCid()).put("uds_path", r.udsPath().toString()),
                    AllowedWhen.PRE_BOOT);
            case PutEntropy r -> {
                ObjectNode b = obj();
                createLimiter(r.rateLimiter()).ifPresent(l -> b.set("rate_limiter", l));
                yield put("/entropy", b, AllowedWhen.PRE_BOOT);
            }
            case PutBalloon r -> {
                ObjectNode b = obj();
                b.put("amount_mib", r.amountMib());
                b.put("deflate_on_oom", r.deflateOnOom());
                b.put("stats_polling_interval_s", r.statsPollingInterval().getSeconds());
                b.put("free_page_hinting", r.freePageHinting());
                b.put("free_page_reporting", r.freePageReporting());
                yield put("/balloon", b, AllowedWhen.PRE_BOOT);
            }
            case PutMmdsConfig r -> {
                ObjectNode b = obj().put("version", "V2");
                ArrayNode ifaces = b.putArray("network_interfaces");
                r.networkInterfaces().forEach(ifaces::add);
                r.ipv4Address().ifPresent(a -> b.put("ipv4_address", a));
                yield put("/mmds/config", b, AllowedWhen.PRE_BOOT);
            }
            case LoadSnapshot r -> {
                ObjectNode b = obj();
                b.put("snapshot_path", r.snapshotPath().toString());
                b.putObject("mem_backend")
                        .put("backend_type", r.memBackend().type().wire())
                        .put("backend_path", r.memBackend().path().toString());
                b.put("track_dirty_pages", r.trackDirtyPages());
                b.put("resume_vm", r.resumeVm());
                if (!r.networkOverrides().isEmpty()) {
                    ArrayNode overrides = b.putArray("network_overrides");
                    r.networkOverrides().forEach(o -> overrides.addObject()
                            .put("iface_id", o.ifaceId())
                            .put("host_dev_name", o.hostDevName()));
                }
                r.vsockOverride().ifPresent(p -> b.putObject("vsock_override").put("uds_path", p.toString()));
                yield put("/snapshot/load", b, AllowedWhen.PRE_BOOT);
            }
            case InstanceStart r -> put("/actions", obj().put("action_type", "InstanceStart"), AllowedWhen.PRE_BOOT);
            case PatchDrive r -> {
                ObjectNode b = obj().put("drive_id", r.driveId());
                r.pathOnHost().ifPresent(p -> b.put("path_on_host", p.toString()));
                r.rateLimiter().ifPresent(l -> b.set("rate_limiter", updateLimiter(l)));
                yield patch("/drives/" + r.driveId(), b, AllowedWhen.POST_BOOT);
            }
            case PatchNetworkInterface r -> {
                ObjectNode b = obj().put("iface_id", r.ifaceId());
                r.rxRateLimiter().ifPresent(l -> b.set("rx_rate_limiter", updateLimiter(l)));
                r.txRateLimiter().ifPresent(l -> b.set("tx_rate_limiter", updateLimiter(l)));
                yield patch("/network-interfaces/" + r.ifaceId(), b, AllowedWhen.POST_BOOT);
            }
            case PatchVm r -> patch("/vm", obj().put("state", r.state().wire()), AllowedWhen.POST_BOOT);
            case CreateSnapshot r -> put("/snapshot/create", obj()
                            .put("snapshot_path", r.snapshotPath().toString())
                            .put("mem_file_path", r.memFilePath().toString())
                            .put("snapshot_type", r.snapshotType().wire()),
                    AllowedWhen.POST_BOOT);
            case SendCtrlAltDel r -> put("/actions", obj().put("action_type", "SendCtrlAltDel"), AllowedWhen.POST_BOOT);
            case PutMmds r -> put("/mmds", r.body(), AllowedWhen.ALWAYS);
            case FlushMetrics r -> put("/actions", obj().put("action_type", "FlushMetrics"), AllowedWhen.ALWAYS);
        };
    }

    /** For a device being created: only enabled buckets are sent; an unlimited limiter is left out entirely. */
    static Optional<ObjectNode> createLimiter(RateLimiter limiter) {
        if (limiter.isUnlimited()) {
            return Optional.empty();
        }
        ObjectNode l = obj();
        limiter.activeBandwidth().ifPresent(b -> l.set("bandwidth", bucket(b)));
        limiter.activeOps().ifPresent(b -> l.set("ops", bucket(b)));
        return Optional.of(l);
    }

    /**
     * For a device being updated: a missing bucket is left as it is, a present but disabled one is sent with size 0,
     * which Firecracker takes as "remove this limit".
     */
    static ObjectNode updateLimiter(RateLimiter limiter) {
        ObjectNode l = obj();
        limiter.bandwidth().ifPresent(b -> l.set("bandwidth", bucket(b)));
        limiter.ops().ifPresent(b -> l.set("ops", bucket(b)));
        return l;
    }

    private static ObjectNode bucket(TokenBucket b) {
        if (!b.isEnabled()) {
            return obj().put("size", 0).put("refill_time", 0);
        }
        ObjectNode n = obj().put("size", b.size());
        if (b.oneTimeBurst() > 0) {
            n.put("one_time_burst", b.oneTimeBurst());
        }
        long ms = b.refillTime().toMillis();
        n.put("refill_time", Math.max(1, ms));
        return n;
    }

    private static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    private static FcCall put(String path, ObjectNode body, AllowedWhen when) {
        return new FcCall(Method.PUT, path, Optional.of(body), when);
    }

    private static FcCall patch(String path, ObjectNode body, AllowedWhen when) {
        return new FcCall(Method.PATCH, path, Optional.of(body), when);
    }
}
