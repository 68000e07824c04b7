package dev.kiln.net;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A vm's links: its tap ({@code ktap-<hash>}, on the bridge) and, when tx is shaped, its ifb ({@code kifb-<hash>}).
 * Both carry the label {@code kiln:vm=<id>,bridge=<bridge>}.
 */
final class VmLinks {
    private final Links links;
    private final String bridge;

    VmLinks(Links links, String bridge) {
        this.links = links;
        this.bridge = bridge;
    }

    /**
     * Makes {@code tap} a labelled tap on the bridge, up. Returns true if this call created it; a tap it created is
     * deleted again if a later step fails.
     */
    boolean ensureTap(String tap, LinkLabel.Vm label) {
        Optional<Links.Link> existing = links.find(tap);
        if (existing.isPresent() && !isOurs(existing.get(), label)) {
            throw new NetException(NetError.LINK_CONFLICT, "link " + tap + " exists but is not kiln's tap for vm "
                    + label.vmId() + " (kind: " + existing.get().kind() + ", alias: "
                    + existing.get().alias().orElse("none") + ")",
                    "delete it by hand if it is stale: ip link del " + tap);
        }
        boolean created = existing.isEmpty();
        try {
            if (created) {
                links.createTap(tap);
            }
            if (!existing.map(link -> link.hasLabel(label)).orElse(false)) {
                links.label(tap, label);
            }
            if (!existing.flatMap(Links.Link::master).filter(bridge::equals).isPresent()) {
                links.setMaster(tap, bridge);
            }
            if (!existing.map(Links.Link::isUp).orElse(false)) {
                links.setUp(tap);
            }
            Optional<Links.Link> after = links.find(tap);
            if (after.isEmpty() || !after.get().hasLabel(label) || !after.get().isUp()
                    || !after.get().master().filter(bridge::equals).isPresent()) {
                throw new NetException(NetError.VERIFY_FAILED, "tap " + tap + " is not a labelled, up port of "
                        + bridge, "inspect with 'ip -d link show dev " + tap + "'");
            }
            return created;
        } catch (RuntimeException e) {
            if (created) {
                undo(e, () -> links.delete(tap));
            }
            throw e;
        }
    }

    /**
     * Deletes the vm's tap and ifb if they are its own (labelled for it, or unlabelled with exactly its derived
     * name, which only a crash between create and label can leave). Returns the names it deleted; never throws for
     * links that are already gone.
     */
    List<String> remove(String vmId, String tap) {
        var label = new LinkLabel.Vm(vmId, bridge);
        var removed = new ArrayList<String>();
        for (String name : List.of(tap, LinkLabel.ifbName(bridge, vmId))) {
            Optional<Links.Link> link = links.find(name);
            if (link.isPresent() && isOurs(link.get(), label) && links.delete(name)) {
                removed.add(name);
            }
        }
        return removed;
    }

    /** A link labelled for a vm of this bridge. */
    record Labelled(Links.Link link, LinkLabel.Vm label) {
    }

    /** Every link on the host labelled for a vm of this bridge, with a kiln tap or ifb name. */
    List<Labelled> labelled() {
        var found = new ArrayList<Labelled>();
        for (Links.Link link : links.list()) {
            boolean kilnName = link.name().startsWith("ktap-") || link.name().startsWith("kifb-");
            if (kilnName && link.label().orElse(null) instanceof LinkLabel.Vm vm && vm.bridge().equals(bridge)) {
                found.add(new Labelled(link, vm));
            }
        }
        return found;
    }

    Optional<Links.Link> find(String name) {
        return links.find(name);
    }

    private boolean isOurs(Links.Link link, LinkLabel.Vm label) {
        if (link.hasLabel(label)) {
            return true;
        }
        boolean derivedName = link.name().equals(LinkLabel.tapName(bridge, label.vmId()))
                || link.name().equals(LinkLabel.ifbName(bridge, label.vmId()));
        return derivedName && link.alias().isEmpty() && (link.kind().equals("tun") || link.kind().equals("ifb"));
    }

    static void undo(RuntimeException failure, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException undoFailure) {
            failure.addSuppressed(undoFailure);
        }
    }
}
