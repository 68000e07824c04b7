package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The VXLAN overlay that makes a kiln bridge one layer-2 segment with the bridges of the other hosts of a cluster
 * (see {@link NetworkConfig#withClusterCidr}).
 *
 * <p>The kernel's own VXLAN device {@code kvx<vni>} ({@link OverlayConfig#deviceName()}) is a port of the bridge,
 * labelled {@code kiln:overlay,bridge=<bridge>} like kiln's other links, with MAC learning on. For every other
 * host it holds one all-zero forwarding entry ({@code 00:00:00:00:00:00 dst <peer>}), so broadcast and unknown
 * unicast (ARP first of all) go to every peer, and the kernel learns which host each guest MAC lives on from the
 * frames it receives. {@link #setPeers} reconciles those entries with the cluster's membership.
 *
 * <p>The device is created with {@code local <address>} and, when that address sits on a real interface,
 * {@code dev <interface>}: the kernel then sizes the device's MTU to the underlay's MTU minus the 50 bytes of
 * encapsulation. (The interface is found among the host's addresses; {@code ip route get} cannot tell it, as it
 * answers {@code lo} for a local address.) A bridge lowers its own MTU to that of its smallest port, so on a
 * 1500-byte underlay the bridge carries 1450-byte frames, and guests booted afterwards are told to use that MTU
 * ({@link HostNetwork#guestMtu()}); an underlay of 1550 keeps them at 1500.
 *
 * <p>Every operation is idempotent: check, act only where the host differs, verify. {@link HostNetwork#teardown()}
 * of the same bridge also removes the device. Instances are safe to use from several threads.
 */
public final class VxlanOverlay {
    private static final Logger LOG = LoggerFactory.getLogger(VxlanOverlay.class);
    /** The size of the frames guests send; the overlay must carry them whole. */
    public static final int GUEST_MTU = 1500;
    /** What VXLAN over IPv4 adds to a frame: outer IPv4 (20), UDP (8), VXLAN (8) and the inner Ethernet header (14). */
    public static final int ENCAPSULATION_OVERHEAD = 50;
    static final String ANY_MAC = "00:00:00:00:00:00";
    private static final List<List<String>> TOOL_PROBES = List.of(List.of("ip", "-V"), List.of("bridge", "-V"));

    /**
     * The settings kiln gives the device; a device of kiln's with other settings is recreated. {@code gbp}: VXLAN's
     * group policy extension, which carries 16 bits of a frame's mark between hosts (the guest's tenant, see
     * {@link GuestGuard#overlayInChain}).
     */
    record Settings(int vni, String local, int port, Optional<String> underlay, boolean learning, boolean gbp) {
    }

    /** The device as {@code ip -j -d link show} reports it; settings are empty when it is not a vxlan device. */
    record Device(Links.Link link, int mtu, Optional<Settings> settings) {
        static Device parse(JsonNode node) {
            Links.Link link = Links.toLink(node);
            Optional<Settings> settings = Optional.empty();
            if (link.kind().equals("vxlan")) {
                JsonNode data = node.path("linkinfo").path("info_data");
                JsonNode lower = data.path("link");
                settings = Optional.of(new Settings(data.path("id").asInt(-1), data.path("local").asText(""),
                        data.path("port").asInt(-1),
                        lower.isTextual() && !lower.asText().isEmpty() ? Optional.of(lower.asText()) : Optional.empty(),
                        data.path("learning").asBoolean(false), data.path("gbp").asBoolean(false)));
            }
            return new Device(link, node.path("mtu").asInt(0), settings);
        }
    }

    /** One forwarding entry of the device: frames for {@code mac} go to the host {@code dst}. */
    record FdbEntry(String mac, String dst) {
        boolean isFlood() {
            return mac.equals(ANY_MAC);
        }
    }

    /**
     * What {@link #setPeers} does, computed from the observed entries without touching the host: the peers to add
     * (one all-zero entry each) and the entries to delete (every entry, flood or learned, that points at a peer
     * that left, so no unicast keeps going to it until the learned entry ages out).
     */
    record PeerPlan(SortedSet<String> add, List<FdbEntry> delete) {
        static PeerPlan of(List<FdbEntry> observed, Set<String> wanted) {
            var add = new TreeSet<>(wanted);
            add.removeAll(floodPeers(observed));
            List<FdbEntry> delete = observed.stream().filter(entry -> !wanted.contains(entry.dst()))
                    .sorted(Comparator.comparing((FdbEntry entry) -> !entry.isFlood()))
                    .toList();
            return new PeerPlan(Collections.unmodifiableSortedSet(add), delete);
        }

        boolean isEmpty() {
            return add.isEmpty() && delete.isEmpty();
        }

        SortedSet<String> removedPeers() {
            var removed = new TreeSet<String>();
            delete.stream().filter(FdbEntry::isFlood).forEach(entry -> removed.add(entry.dst()));
            return removed;
        }
    }

    private final OverlayConfig config;
    private final Commands commands;
    private final Links links;
    private final int mtu;
    private boolean tornDown;

    private VxlanOverlay(OverlayConfig config, Commands commands, Links links, int mtu) {
        this.config = config;
        this.commands = commands;
        this.links = links;
        this.mtu = mtu;
    }

    /**
     * Ensures the overlay device of {@code config} on this host: a labelled VXLAN device with the configured VNI,
     * local address and port, a port of the bridge, up. An existing device of kiln's with the same settings is
     * kept as it is (with its peers); one with other settings, or with an MTU below {@link #GUEST_MTU} that a
     * since raised underlay MTU would improve, is deleted and created again (without peers: set them again).
     *
     * @throws NetException {@link NetError#LINK_CONFLICT} when a device of that name exists without kiln's label
     *                      for this bridge; {@link NetError#INVALID_ARGUMENT} when the bridge is missing or the
     *                      local address is not on this host; {@link NetError#TOOL_MISSING},
     *                      {@link NetError#COMMAND_FAILED}, {@link NetError#VERIFY_FAILED}
     */
    public static VxlanOverlay open(OverlayConfig config) {
        return open(config, HostEnvironment.system());
    }

    static VxlanOverlay open(OverlayConfig config, HostEnvironment env) {
        Objects.requireNonNull(config, "config");
        for (List<String> probe : TOOL_PROBES) {
            Commands.checked(env.runner().run(probe, ""));
        }
        var commands = new Commands(env.runner(), new ObjectMapper());
        var links = new Links(commands);
        String bridge = config.bridgeName();
        String name = config.deviceName();
        var label = new LinkLabel.Overlay(bridge);
        requireBridge(links, bridge);
        var wanted = new Settings(config.vni(), config.localAddress(), config.port(),
                underlay(links.addresses(), config), true, true);

        Optional<Device> existing = links.details(name).map(Device::parse);
        if (existing.isPresent() && !existing.get().link().hasLabel(label)) {
            throw conflict(name, bridge, existing.get().link());
        }
        if (existing.isPresent() && !existing.get().settings().equals(Optional.of(wanted))) {
            LOG.info("overlay device {} has settings {}, recreating it with {}", name,
                    existing.get().settings().map(Settings::toString).orElse("of a " + existing.get().link().kind()
                            + " link"), wanted);
            links.delete(name);
            existing = Optional.empty();
        }
        if (existing.isPresent() && existing.get().mtu() < GUEST_MTU) {
            int possible = wanted.underlay().flatMap(links::details).map(node -> node.path("mtu").asInt(0))
                    .orElse(0) - ENCAPSULATION_OVERHEAD;
            if (possible > existing.get().mtu()) {
                LOG.info("overlay device {} has MTU {} but its underlay now allows {}, recreating it", name,
                        existing.get().mtu(), possible);
                links.delete(name);
                existing = Optional.empty();
            }
        }
        boolean created = existing.isEmpty();
        Device after;
        try {
            if (created) {
                commands.check(createCommand(name, wanted).toArray(String[]::new));
                links.label(name, label);
            }
            if (!existing.flatMap(device -> device.link().master()).filter(bridge::equals).isPresent()) {
                links.setMaster(name, bridge);
            }
            if (!existing.map(device -> device.link().isUp()).orElse(false)) {
                links.setUp(name);
            }
            after = links.details(name).map(Device::parse)
                    .filter(device -> device.link().hasLabel(label) && device.link().isUp()
                            && device.link().master().filter(bridge::equals).isPresent()
                            && device.settings().equals(Optional.of(wanted)))
                    .orElseThrow(() -> new NetException(NetError.VERIFY_FAILED, "overlay device " + name
                            + " is not a labelled, up port of " + bridge + " with " + wanted,
                            "inspect with 'ip -d link show dev " + name + "'"));
        } catch (RuntimeException e) {
            if (created) {
                VmLinks.undo(e, () -> links.delete(name));
            }
            throw e;
        }
        var overlay = new VxlanOverlay(config, commands, links, after.mtu());
        if (after.mtu() < GUEST_MTU) {
            LOG.info("overlay device {} has MTU {} (the underlay {}'s less {} bytes of encapsulation): the bridge"
                    + " takes that MTU, and guests booted from now on get it too (kiln.mtu={}). A VM that was"
                    + " running before keeps 1500 and its full-size frames to other hosts are dropped: restart it."
                    + " An underlay MTU of {} keeps guests at 1500", name, after.mtu(),
                    wanted.underlay().orElse("interface"), ENCAPSULATION_OVERHEAD, after.mtu(),
                    GUEST_MTU + ENCAPSULATION_OVERHEAD);
        }
        LOG.info("overlay {} ready: {} on bridge {}, vni {}, local {}, port {}, MTU {}{}", name,
                created ? "created" : "kept", bridge, config.vni(), config.localAddress(), config.port(),
                after.mtu(), wanted.underlay().map(dev -> " (underlay " + dev + ")").orElse(""));
        return overlay;
    }

    /** The configuration this overlay was opened with. */
    public OverlayConfig config() {
        return config;
    }

    /** The device's name, {@code kvx<vni>}. */
    public String deviceName() {
        return config.deviceName();
    }

    /** The device's MTU when it was opened; below {@link #GUEST_MTU} guests' full frames do not cross. */
    public int mtu() {
        return mtu;
    }

    /**
     * Makes the flood entries of the device exactly one per address in {@code remoteUnderlayAddresses} (this
     * host's own local address is ignored): adds the missing ones, and for every peer that is no longer wanted
     * deletes its flood entry and the MAC addresses learned behind it, so traffic to it stops at once.
     *
     * @throws NetException {@link NetError#INVALID_ARGUMENT} when an address is not a unicast IPv4 literal (nothing
     *                      is changed then); {@link NetError#CLOSED} after {@link #teardown()};
     *                      {@link NetError#COMMAND_FAILED}, {@link NetError#VERIFY_FAILED}
     */
    public synchronized void setPeers(Set<String> remoteUnderlayAddresses) {
        requireOpen();
        var wanted = new TreeSet<String>();
        for (String peer : remoteUnderlayAddresses) {
            if (!OverlayConfig.requireUnicast("peer address", peer).equals(config.localAddress())) {
                wanted.add(peer);
            }
        }
        PeerPlan plan = PeerPlan.of(fdb(), wanted);
        if (plan.isEmpty()) {
            return;
        }
        String device = config.deviceName();
        for (String peer : plan.add()) {
            commands.check("bridge", "fdb", "append", ANY_MAC, "dev", device, "dst", peer);
        }
        for (FdbEntry entry : plan.delete()) {
            var result = commands.probe("bridge", "fdb", "del", entry.mac(), "dev", device, "dst", entry.dst());
            if (!result.ok() && !result.stderr().toLowerCase(Locale.ROOT).contains("no such file")) {
                Commands.checked(result);
            }
        }
        SortedSet<String> now = floodPeers(fdb());
        if (!now.equals(wanted)) {
            throw new NetException(NetError.VERIFY_FAILED, "overlay device " + device + " has peers " + now
                    + " after setting them to " + wanted, "inspect with 'bridge fdb show dev " + device + "'");
        }
        LOG.info("overlay {} peers now {} (added {}, removed {})", device, now, plan.add(), plan.removedPeers());
    }

    /** The peers the device floods to now, as read from the kernel. */
    public synchronized Set<String> peers() {
        requireOpen();
        return Collections.unmodifiableSortedSet(floodPeers(fdb()));
    }

    /**
     * Deletes the device if it is still kiln's overlay of this bridge (gone is fine; another program's device of
     * that name is left alone). The instance cannot be used afterwards.
     *
     * @throws NetException {@link NetError#VERIFY_FAILED} when the device survives its deletion
     */
    public synchronized void teardown() {
        tornDown = true;
        String name = config.deviceName();
        Optional<Links.Link> link = links.find(name);
        if (link.isEmpty()) {
            return;
        }
        if (!link.get().hasLabel(new LinkLabel.Overlay(config.bridgeName()))) {
            LOG.warn("teardown leaves {} alone: it is no longer kiln's overlay of {} (alias: {})", name,
                    config.bridgeName(), link.get().alias().orElse("none"));
            return;
        }
        links.delete(name);
        if (links.find(name).isPresent()) {
            throw new NetException(NetError.VERIFY_FAILED, "overlay device " + name + " still exists after delete",
                    "delete it by hand: ip link del " + name);
        }
        LOG.info("removed overlay device {}", name);
    }

    /** The names of the overlay devices on this host labelled for {@code bridge}. */
    static List<String> labelled(Links links, String bridge) {
        var label = new LinkLabel.Overlay(bridge);
        return links.list().stream()
                .filter(link -> link.name().startsWith(LinkLabel.OVERLAY_PREFIX) && link.hasLabel(label))
                .map(Links.Link::name)
                .toList();
    }

    /** Deletes every overlay device labelled for {@code bridge}; returns the names it deleted. */
    static List<String> removeLabelled(Links links, String bridge) {
        var removed = new ArrayList<String>();
        for (String name : labelled(links, bridge)) {
            if (links.delete(name)) {
                removed.add(name);
            }
        }
        return removed;
    }

    static List<String> createCommand(String name, Settings settings) {
        var argv = new ArrayList<>(List.of("ip", "link", "add", name, "type", "vxlan", "id",
                String.valueOf(settings.vni()), "local", settings.local(), "dstport", String.valueOf(settings.port())));
        settings.underlay().ifPresent(dev -> argv.addAll(List.of("dev", dev)));
        if (settings.gbp()) {
            argv.add("gbp");
        }
        return argv;
    }

    /**
     * The interface that holds the local address: given as {@code dev} so the kernel sizes the MTU from it; empty
     * for an address on {@code lo} (the kernel then routes each encapsulated packet).
     */
    static Optional<String> underlay(List<Links.Address> addresses, OverlayConfig config) {
        List<String> holders = addresses.stream()
                .filter(address -> address.cidr().address().equals(config.localAddress()))
                .map(Links.Address::link).distinct().toList();
        if (holders.isEmpty()) {
            throw new NetException(NetError.INVALID_ARGUMENT, "local address " + config.localAddress()
                    + " is not configured on any interface of this host", "give the underlay address at which the"
                    + " other hosts reach this one (see 'ip -4 addr'), e.g. the daemon's --advertise address");
        }
        if (holders.contains(config.bridgeName())) {
            throw new NetException(NetError.INVALID_ARGUMENT, "local address " + config.localAddress()
                    + " belongs to the bridge " + config.bridgeName() + " that the overlay extends",
                    "give the underlay address at which the other hosts reach this one, outside the cluster network");
        }
        String dev = holders.getFirst();
        return dev.equals("lo") ? Optional.empty() : Optional.of(dev);
    }

    private List<FdbEntry> fdb() {
        String device = config.deviceName();
        if (links.find(device).filter(link -> link.hasLabel(new LinkLabel.Overlay(config.bridgeName())))
                .isEmpty()) {
            throw new NetException(NetError.VERIFY_FAILED, "overlay device " + device + " of bridge "
                    + config.bridgeName() + " is gone (or no longer kiln's)", "a teardown of the kiln network or"
                    + " someone else removed it; open the overlay again with VxlanOverlay.open(config)");
        }
        var entries = new ArrayList<FdbEntry>();
        for (JsonNode node : commands.checkJson("bridge", "-j", "fdb", "show", "dev", device)) {
            if (!node.has("master") && node.path("dst").isTextual()) {
                entries.add(new FdbEntry(node.path("mac").asText(), node.path("dst").asText()));
            }
        }
        return entries;
    }

    private static SortedSet<String> floodPeers(List<FdbEntry> entries) {
        var peers = new TreeSet<String>();
        entries.stream().filter(FdbEntry::isFlood).forEach(entry -> peers.add(entry.dst()));
        return peers;
    }

    private static void requireBridge(Links links, String bridge) {
        Optional<Links.Link> link = links.find(bridge);
        if (link.isEmpty() || !link.get().kind().equals("bridge")) {
            throw new NetException(NetError.INVALID_ARGUMENT, link.isEmpty() ? "bridge " + bridge
                    + " does not exist" : "link " + bridge + " is a " + link.get().kind() + " link, not a bridge",
                    "open the kiln network (HostNetwork.open) first, and give the overlay the same bridge name");
        }
    }

    private static NetException conflict(String name, String bridge, Links.Link link) {
        String hint = link.label().orElse(null) instanceof LinkLabel.Overlay other
                ? "it is the overlay of kiln bridge " + other.bridge() + "; give this network another VNI"
                : "choose another VNI, or, if the device is stale (e.g. left by an interrupted start), delete it:"
                        + " ip link del " + name;
        return new NetException(NetError.LINK_CONFLICT, "link " + name + " exists but is not kiln's overlay device"
                + " of bridge " + bridge + " (kind: " + (link.kind().isEmpty() ? "unknown" : link.kind())
                + ", alias: " + link.alias().orElse("none") + ")", hint);
    }

    private void requireOpen() {
        if (tornDown) {
            throw new NetException(NetError.CLOSED, "the overlay " + config.deviceName() + " was torn down",
                    "open it again with VxlanOverlay.open(config)");
        }
    }
}
