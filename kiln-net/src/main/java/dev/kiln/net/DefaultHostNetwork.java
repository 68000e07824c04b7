package dev.kiln.net;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HostNetwork} on a Linux host. Orchestrates one-concern steps (bridge, firewall, forwarding, leases,
 * vm links, traffic shaping), each of which checks, acts and verifies. Calls for one vm are serialized by a lock
 * stripe; sweep and teardown exclude all other calls.
 */
final class DefaultHostNetwork implements HostNetwork {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultHostNetwork.class);
    private static final int STRIPES = 64;
    private static final List<List<String>> TOOL_PROBES =
            List.of(List.of("ip", "-V"), List.of("tc", "-V"), List.of("nft", "--version"));

    private enum Phase { OPEN, CLOSED, TORN_DOWN }

    private final NetworkConfig config;
    private final Links links;
    private final BridgeStep bridge;
    private final VmLinks vmLinks;
    private final TrafficShaper shaper;
    private final Firewall firewall;
    private final LeaseStore leases;
    private final GuestGuard guard;
    private final ReentrantReadWriteLock hostLock = new ReentrantReadWriteLock();
    private final Lock[] vmLocks = new Lock[STRIPES];
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.OPEN);

    private DefaultHostNetwork(NetworkConfig config, HostEnvironment env) {
        this.config = config;
        ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        var commands = new Commands(env.runner(), json);
        this.links = new Links(commands);
        this.bridge = new BridgeStep(links);
        this.vmLinks = new VmLinks(links, config.bridgeName());
        this.shaper = new TrafficShaper(commands, links);
        this.firewall = new Firewall(commands);
        this.leases = new LeaseStore(config.netStateDir(), config.subnet(), json);
        this.guard = new GuestGuard(commands, config);
        for (int i = 0; i < STRIPES; i++) {
            vmLocks[i] = new ReentrantLock();
        }
    }

    static HostNetwork open(NetworkConfig config, HostEnvironment env) {
        Objects.requireNonNull(config, "config");
        if (!Files.exists(env.tunDevice())) {
            throw new NetException(NetError.NO_TUN_DEVICE, env.tunDevice() + " does not exist, so no tap can be"
                    + " created", "load the tun module (modprobe tun) or use a kernel with CONFIG_TUN");
        }
        for (List<String> probe : TOOL_PROBES) {
            Commands.checked(env.runner().run(probe, ""));
        }
        var network = new DefaultHostNetwork(config, env);
        network.bridge.ensure(config);
        List<Lease> leased = network.leases.read().leases();
        network.firewall.ensure(Firewall.rulesetFor(config, leased));
        Firewall.isolationRulesetFor(config, leased).ifPresentOrElse(network.firewall::ensure,
                () -> network.firewall.remove(NftRuleset.Family.BRIDGE, config.nftTableName()));
        new IpForwarding(env.procSys()).ensureEnabled();
        LOG.info("kiln network ready: bridge {} with {}, nft table ip {}", config.bridgeName(),
                config.gatewayAddress(), config.nftTableName());
        if (config.isolation() == NetworkConfig.Isolation.OFF) {
            LOG.warn("GUEST ISOLATION IS OFF on bridge {}: guests can spoof MAC and IP addresses, reach each other"
                    + " across tenants, reach every service of the host on the bridge, and egress policies are not"
                    + " enforced. Use this only for debugging.", config.bridgeName());
        } else {
            LOG.info("guest isolation on bridge {}: anti-spoofing, tenants, guest service ports {} on {}, egress"
                    + " policy ({} leased vm(s) restored)", config.bridgeName(), config.guestServicePorts(),
                    config.subnet().gateway(), leased.size());
        }
        return network;
    }

    @Override
    public VmNetwork attach(String vmId, NicLimits limits) {
        return attach(vmId, limits, Optional.empty());
    }

    @Override
    public VmNetwork attach(String vmId, NicLimits limits, GuestPolicy policy) {
        return attach(vmId, limits, Optional.of(Objects.requireNonNull(policy, "policy")));
    }

    /** With an empty policy, an existing lease keeps its policy and a new one gets the default. */
    private VmNetwork attach(String vmId, NicLimits limits, Optional<GuestPolicy> policy) {
        LinkLabel.requireVmId(vmId);
        TrafficShaper.Plan plan = TrafficShaper.Plan.of(Objects.requireNonNull(limits, "limits"));
        return forVm(vmId, () -> {
            var label = new LinkLabel.Vm(vmId, config.bridgeName());
            LeaseTable.Allocation allocation = leases.modify(table -> {
                GuestPolicy wanted = policy.orElseGet(() -> table.find(vmId).map(Lease::policy)
                        .orElseGet(GuestPolicy::defaults));
                var result = table.allocate(vmId, MacAddress.forVm(vmId), LinkLabel.tapName(config.bridgeName(),
                        vmId), wanted);
                return new LeaseStore.Change<>(result.table(), result);
            });
            Lease lease = allocation.lease();
            String ifb = LinkLabel.ifbName(config.bridgeName(), vmId);
            boolean ifbExisted = vmLinks.find(ifb).isPresent();
            boolean tapCreated = false;
            try {
                if (config.isolation() == NetworkConfig.Isolation.ON) {
                    guard.admit(lease);
                }
                tapCreated = vmLinks.ensureTap(lease.tap(), label);
                shaper.apply(lease.tap(), ifb, label, plan);
            } catch (RuntimeException e) {
                LOG.warn("attach of vm {} failed, undoing: {}", vmId, e.getMessage());
                if (tapCreated) {
                    VmLinks.undo(e, () -> links.delete(lease.tap()));
                }
                if (allocation.created() && config.isolation() == NetworkConfig.Isolation.ON) {
                    VmLinks.undo(e, () -> guard.revoke(Set.of(lease.tap())));
                }
                if (!ifbExisted) {
                    VmLinks.undo(e, () -> vmLinks.find(ifb).filter(link -> link.hasLabel(label))
                            .ifPresent(link -> links.delete(ifb)));
                }
                if (allocation.created()) {
                    VmLinks.undo(e, () -> leases.modify(table -> new LeaseStore.Change<>(table.release(vmId), 0)));
                }
                throw e;
            }
            LOG.info("attached vm {}: tap {} address {} tenant {} egress {}", vmId, lease.tap(), lease.address(),
                    lease.tenant(), lease.egress().keyword());
            return toNetwork(lease);
        });
    }

    @Override
    public int guestMtu() {
        int bridge = links.details(config.bridgeName()).map(node -> node.path("mtu").asInt(0)).orElse(0);
        return bridge > 0 ? Math.min(bridge, VxlanOverlay.GUEST_MTU) : VxlanOverlay.GUEST_MTU;
    }

    @Override
    public Optional<VmNetwork> lookup(String vmId) {
        LinkLabel.requireVmId(vmId);
        return leases.read().find(vmId).map(this::toNetwork);
    }

    @Override
    public void protectControlEndpoints(List<java.net.InetSocketAddress> endpoints) {
        if (config.isolation() == NetworkConfig.Isolation.ON) {
            guard.protectControlEndpoints(endpoints);
            LOG.info("guests of {} cannot reach the cluster store at {}", config.bridgeName(), endpoints);
        }
    }

    @Override
    public void lendIdentity(String vmId, MacAddress mac, String address) {
        LinkLabel.requireVmId(vmId);
        Objects.requireNonNull(mac, "mac");
        Ipv4Cidr.toBits(Objects.requireNonNull(address, "address"));
        forVm(vmId, () -> {
            Lease lease = leases.read().find(vmId).orElseThrow(() -> notAttached(vmId, "has no lease"));
            if (config.isolation() == NetworkConfig.Isolation.ON) {
                guard.lend(lease, mac, address);
                LOG.info("vm {} may also send as {} {} until it takes its own identity", vmId, mac.value(), address);
            }
            return lease;
        });
    }

    @Override
    public void returnIdentity(String vmId) {
        LinkLabel.requireVmId(vmId);
        forVm(vmId, () -> {
            Optional<Lease> lease = leases.read().find(vmId);
            if (lease.isPresent() && config.isolation() == NetworkConfig.Isolation.ON) {
                guard.admit(lease.get());
            }
            return lease;
        });
    }

    @Override
    public String addAddress(String vmId, String owner) {
        LinkLabel.requireVmId(vmId);
        Lease.requireOwner(owner);
        return forVm(vmId, () -> {
            LeaseTable.ExtraAllocation extra = leases.modify(table -> {
                var result = table.allocateExtra(vmId, owner);
                return new LeaseStore.Change<>(result.table(), result);
            });
            if (config.isolation() == NetworkConfig.Isolation.ON) {
                try {
                    guard.allowAddress(extra.lease(), extra.address());
                } catch (RuntimeException e) {
                    if (extra.created()) {
                        LOG.warn("address {} for {} on vm {} failed, undoing: {}", extra.address(), owner, vmId,
                                e.getMessage());
                        VmLinks.undo(e, () -> leases.modify(table -> new LeaseStore.Change<>(
                                table.releaseExtra(vmId, owner), 0)));
                    }
                    throw e;
                }
            }
            if (extra.created()) {
                LOG.info("vm {} may also send from {} (for {})", vmId, extra.address(), owner);
            }
            return extra.address();
        });
    }

    @Override
    public void releaseAddress(String vmId, String owner) {
        LinkLabel.requireVmId(vmId);
        Lease.requireOwner(owner);
        forVm(vmId, () -> {
            Optional<Lease> lease = leases.read().find(vmId);
            Optional<String> address = lease.map(found -> found.extraAddresses().get(owner));
            if (address.isEmpty()) {
                return address;
            }
            if (config.isolation() == NetworkConfig.Isolation.ON) {
                guard.disallowAddress(lease.get(), address.get());
            }
            links.forgetNeighbour(config.bridgeName(), address.get());
            leases.modify(table -> new LeaseStore.Change<>(table.releaseExtra(vmId, owner), 0));
            LOG.info("vm {} no longer sends from {} (released by {})", vmId, address.get(), owner);
            return address;
        });
    }

    @Override
    public Map<String, String> addresses(String vmId) {
        LinkLabel.requireVmId(vmId);
        return leases.read().find(vmId).<Map<String, String>>map(Lease::extraAddresses).orElse(Map.of());
    }

    @Override
    public Optional<GuestPolicy> policy(String vmId) {
        LinkLabel.requireVmId(vmId);
        return leases.read().find(vmId).map(Lease::policy);
    }

    @Override
    public void updateLimits(String vmId, NicLimits limits) {
        LinkLabel.requireVmId(vmId);
        TrafficShaper.Plan plan = TrafficShaper.Plan.of(Objects.requireNonNull(limits, "limits"));
        forVm(vmId, () -> {
            var label = new LinkLabel.Vm(vmId, config.bridgeName());
            Lease lease = leases.read().find(vmId).orElseThrow(() -> notAttached(vmId, "has no lease"));
            if (vmLinks.find(lease.tap()).filter(link -> link.hasLabel(label)).isEmpty()) {
                throw notAttached(vmId, "has a lease but its tap " + lease.tap() + " is gone");
            }
            shaper.apply(lease.tap(), LinkLabel.ifbName(config.bridgeName(), vmId), label, plan);
            return lease;
        });
    }

    @Override
    public void detach(String vmId) {
        LinkLabel.requireVmId(vmId);
        forVm(vmId, () -> {
            List<String> removed = removeVm(vmId, leases.read().find(vmId));
            LOG.info("detached vm {} (removed {})", vmId, removed);
            return removed;
        });
    }

    @Override
    public SweepReport sweep(Set<String> liveVmIds) {
        Set<String> live = Set.copyOf(liveVmIds);
        return exclusive(() -> {
            var removedLinks = new LinkedHashSet<String>();
            var released = new ArrayList<String>();
            for (Lease lease : leases.read().leases()) {
                if (!live.contains(lease.vmId())) {
                    removedLinks.addAll(removeVm(lease.vmId(), Optional.of(lease)));
                    released.add(lease.vmId());
                }
            }
            for (VmLinks.Labelled labelled : vmLinks.labelled()) {
                String name = labelled.link().name();
                if (!live.contains(labelled.label().vmId()) && links.delete(name)) {
                    removedLinks.add(name);
                }
            }
            if (config.isolation() == NetworkConfig.Isolation.ON) {
                List<Lease> kept = leases.read().leases();
                List<String> stale = guard.retainOnly(kept.stream().map(Lease::tap).collect(Collectors.toSet()),
                        kept.stream().flatMap(lease -> lease.allAddresses().stream()).collect(Collectors.toSet()));
                if (!stale.isEmpty()) {
                    LOG.info("sweep of {} removed the guard elements of tap(s) {}", config.bridgeName(), stale);
                }
            }
            var report = new SweepReport(List.copyOf(removedLinks), released);
            LOG.info("sweep of {}: {}", config.bridgeName(), report);
            return report;
        });
    }

    @Override
    public void teardown() {
        hostLock.writeLock().lock();
        try {
            phase.set(Phase.TORN_DOWN);
            List<Lease> known = List.of();
            try {
                known = leases.read().leases();
            } catch (NetException e) {
                LOG.warn("teardown ignores an unreadable lease file: {}", e.getMessage());
            }
            known.forEach(lease -> vmLinks.remove(lease.vmId(), lease.tap()));
            vmLinks.labelled().forEach(labelled -> links.delete(labelled.link().name()));
            List<String> overlays = VxlanOverlay.removeLabelled(links, config.bridgeName());
            if (!overlays.isEmpty()) {
                LOG.info("teardown of {} removed overlay device(s) {}", config.bridgeName(), overlays);
            }
            bridge.remove(config.bridgeName());
            firewall.remove(NftRuleset.Family.IP, config.nftTableName());
            firewall.remove(NftRuleset.Family.BRIDGE, config.nftTableName());
            leases.deleteFiles();
            var remaining = new ArrayList<String>();
            vmLinks.labelled().forEach(labelled -> remaining.add(labelled.link().name()));
            remaining.addAll(VxlanOverlay.labelled(links, config.bridgeName()));
            if (!remaining.isEmpty()) {
                throw new NetException(NetError.VERIFY_FAILED, "kiln links of " + config.bridgeName()
                        + " remain after teardown: " + remaining, "delete them by hand with ip link del");
            }
            LOG.info("tore down kiln network {}", config.bridgeName());
        } finally {
            hostLock.writeLock().unlock();
        }
    }

    @Override
    public NetworkConfig config() {
        return config;
    }

    @Override
    public void close() {
        phase.compareAndSet(Phase.OPEN, Phase.CLOSED);
    }

    private List<String> removeVm(String vmId, Optional<Lease> lease) {
        String tap = lease.map(Lease::tap).orElse(LinkLabel.tapName(config.bridgeName(), vmId));
        List<String> removed = vmLinks.remove(vmId, tap);
        if (config.isolation() == NetworkConfig.Isolation.ON) {
            guard.revoke(Set.of(tap));
        }
        if (lease.isPresent()) {
            lease.get().allAddresses().forEach(address -> links.forgetNeighbour(config.bridgeName(), address));
            leases.modify(table -> new LeaseStore.Change<>(table.release(vmId), 0));
        }
        return removed;
    }

    private VmNetwork toNetwork(Lease lease) {
        return new VmNetwork(lease.vmId(), lease.tap(), new MacAddress(lease.mac()),
                config.onLink().withAddress(lease.address()), config.subnet().gateway(), config.bridgeName());
    }

    private <T> T forVm(String vmId, Supplier<T> action) {
        hostLock.readLock().lock();
        Lock vmLock = vmLocks[Math.floorMod(vmId.hashCode(), STRIPES)];
        vmLock.lock();
        try {
            requireOpen();
            return action.get();
        } finally {
            vmLock.unlock();
            hostLock.readLock().unlock();
        }
    }

    private <T> T exclusive(Supplier<T> action) {
        hostLock.writeLock().lock();
        try {
            requireOpen();
            return action.get();
        } finally {
            hostLock.writeLock().unlock();
        }
    }

    private void requireOpen() {
        Phase now = phase.get();
        if (now != Phase.OPEN) {
            throw new NetException(NetError.CLOSED, "the kiln network " + config.bridgeName() + " is "
                    + now.name().toLowerCase(Locale.ROOT).replace('_', ' '),
                    "open a new HostNetwork with HostNetwork.open(config)");
        }
    }

    private static NetException notAttached(String vmId, String why) {
        return new NetException(NetError.NOT_ATTACHED, "vm " + vmId + " " + why, "attach the vm first");
    }
}
