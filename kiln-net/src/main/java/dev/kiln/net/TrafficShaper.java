package dev.kiln.net;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.RateLimiter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Maps a vm's {@link NicLimits} (Firecracker token buckets) onto Linux traffic control on its tap.
 *
 * <h2>Directions</h2>
 * <ul>
 *   <li><b>rx</b> (host to guest) leaves the host through the tap, so it is shaped by a {@code tbf} root qdisc on
 *       the tap's egress: {@code tc qdisc replace dev TAP root tbf rate R burst B latency 50ms}.</li>
 *   <li><b>tx</b> (guest to host) enters the host through the tap's ingress, where Linux cannot queue. The tap
 *       gets an {@code ingress} qdisc whose one {@code u32} filter (match everything) redirects each packet with
 *       {@code mirred egress redirect} to an ifb device {@code kifb-<hash>}; a {@code tbf} root qdisc on the ifb
 *       shapes it, and the ifb hands it back to the tap's receive path.</li>
 * </ul>
 *
 * <h2>Bandwidth bucket to tbf</h2>
 * <ul>
 *   <li>rate = {@code size * 1s / refillTime} bytes per second (the bucket's sustained rate);</li>
 *   <li>burst = {@code max(size + oneTimeBurst, 2 * 1514, rate * 4ms)}: the bucket holds {@code size} tokens as in
 *       Firecracker. tbf has no one-time credit, so {@code oneTimeBurst} is folded into the bucket: unlike
 *       Firecracker it becomes available again after each idle period of {@code burst / rate}. The floors keep
 *       tbf able to pass full frames and to reach the rate at timer granularity;</li>
 *   <li>latency 50 ms: tc sizes the queue as {@code rate * 50ms + burst}. Firecracker stops reading from the tap
 *       instead of dropping; tbf drops what does not fit the queue, which TCP treats as congestion;</li>
 *   <li>tbf cannot hold more than about 274 s of traffic at the rate (tc silently truncates); kiln refuses
 *       buckets above 250 s with {@link NetError#UNSUPPORTED_LIMIT}.</li>
 * </ul>
 *
 * <h2>Ops bucket</h2>
 * An ops bucket counts packets. tbf and htb shape bytes only; the one tc tool for packets per second is the
 * {@code police} action with {@code pkts_rate}, which this platform's kernel does not have (no act_police), and
 * which would drop rather than delay. An enabled ops bucket is therefore refused with
 * {@link NetError#UNSUPPORTED_LIMIT}; a disabled one ({@code size 0} or zero refill) is accepted.
 *
 * <p>Every step is check, act, verify: the current tc state is read from {@code tc -j}, changed only when it
 * differs, and read back.
 */
final class TrafficShaper {
    private static final String INGRESS_PARENT = "ffff:";

    /** A tbf qdisc as tc reports it. */
    record ReportedTbf(long rate, long burst) {
    }

    /** What tc must look like for a set of limits. */
    record Plan(Optional<TbfSpec> rx, Optional<TbfSpec> tx) {
        static Plan of(NicLimits limits) {
            rejectOps(limits.rx(), "rx");
            rejectOps(limits.tx(), "tx");
            return new Plan(TbfSpec.forBandwidth(limits.rx(), "rx"), TbfSpec.forBandwidth(limits.tx(), "tx"));
        }

        private static void rejectOps(RateLimiter limiter, String direction) {
            limiter.activeOps().ifPresent(bucket -> {
                throw new NetException(NetError.UNSUPPORTED_LIMIT, direction + " ops limit " + bucket
                        + " is not supported on the QEMU/tap path: tc's tbf shapes bytes, not packets, and this"
                        + " kernel has no tc police action (act_police) for packets per second",
                        "remove the ops bucket (or set its size to 0) and limit bandwidth instead");
            });
        }
    }

    private final Commands commands;
    private final Links links;

    TrafficShaper(Commands commands, Links links) {
        this.commands = commands;
        this.links = links;
    }

    /** Makes the tap's (and ifb's) tc state match the plan; creates or deletes the ifb as needed. */
    void apply(String tap, String ifb, LinkLabel.Vm label, Plan plan) {
        applyRoot(tap, plan.rx());
        if (plan.tx().isPresent()) {
            ensureIfb(ifb, label);
            applyRoot(ifb, plan.tx());
            ensureRedirect(tap, ifb);
        } else {
            removeIngress(tap);
            deleteIfb(ifb, label);
        }
    }

    /** The tbf root qdisc of a device as tc reports it; empty when the root is not tbf. */
    Optional<ReportedTbf> rootTbf(String device) {
        for (JsonNode qdisc : commands.checkJson("tc", "-j", "qdisc", "show", "dev", device)) {
            if (qdisc.path("root").asBoolean(false) && "tbf".equals(qdisc.path("kind").asText())) {
                JsonNode options = qdisc.path("options");
                return Optional.of(new ReportedTbf(options.path("rate").asLong(), options.path("burst").asLong()));
            }
        }
        return Optional.empty();
    }

    /** True when the tap's ingress has a mirred redirect to {@code ifb}. */
    boolean redirectsTo(String tap, String ifb) {
        if (!hasIngressQdisc(tap)) {
            return false;
        }
        for (JsonNode filter : commands.checkJson("tc", "-j", "filter", "show", "dev", tap, "parent",
                INGRESS_PARENT)) {
            for (JsonNode action : filter.path("options").path("actions")) {
                if ("mirred".equals(action.path("kind").asText()) && ifb.equals(action.path("to_dev").asText())
                        && "redirect".equals(action.path("mirred_action").asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    private void applyRoot(String device, Optional<TbfSpec> spec) {
        Optional<ReportedTbf> current = rootTbf(device);
        if (spec.isEmpty()) {
            if (current.isPresent()) {
                commands.check("tc", "qdisc", "del", "dev", device, "root");
            }
            if (rootTbf(device).isPresent()) {
                throw verifyFailed(device, "a tbf root qdisc is still present after removing it");
            }
            return;
        }
        TbfSpec tbf = spec.get();
        if (current.isPresent() && tbf.matches(current.get())) {
            return;
        }
        var argv = new ArrayList<>(List.of("tc", "qdisc", "replace", "dev", device, "root", "tbf"));
        argv.addAll(tbf.tcArguments());
        commands.check(argv.toArray(String[]::new));
        Optional<ReportedTbf> after = rootTbf(device);
        if (after.isEmpty() || !tbf.matches(after.get())) {
            throw verifyFailed(device, "tc reports " + after.map(ReportedTbf::toString)
                    .orElse("no tbf") + " instead of " + tbf);
        }
    }

    private void ensureIfb(String ifb, LinkLabel.Vm label) {
        Optional<Links.Link> existing = links.find(ifb);
        if (existing.isPresent() && !existing.get().hasLabel(label)) {
            throw new NetException(NetError.LINK_CONFLICT, "link " + ifb + " exists but is not kiln's ifb for vm "
                    + label.vmId() + " (alias: " + existing.get().alias().orElse("none") + ")",
                    "delete it by hand if it is stale: ip link del " + ifb);
        }
        if (existing.isEmpty()) {
            links.createIfb(ifb);
            links.label(ifb, label);
        }
        if (existing.map(Links.Link::isUp).orElse(false)) {
            return;
        }
        links.setUp(ifb);
        if (!links.find(ifb).map(Links.Link::isUp).orElse(false)) {
            throw verifyFailed(ifb, "the ifb is not up");
        }
    }

    private void ensureRedirect(String tap, String ifb) {
        if (redirectsTo(tap, ifb)) {
            return;
        }
        if (hasIngressQdisc(tap)) {
            commands.check("tc", "qdisc", "del", "dev", tap, "handle", INGRESS_PARENT, "ingress");
        }
        commands.check("tc", "qdisc", "add", "dev", tap, "handle", INGRESS_PARENT, "ingress");
        commands.check("tc", "filter", "add", "dev", tap, "parent", INGRESS_PARENT, "protocol", "all",
                "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb);
        if (!redirectsTo(tap, ifb)) {
            throw verifyFailed(tap, "no ingress redirect to " + ifb + " after adding it");
        }
    }

    private void removeIngress(String tap) {
        if (hasIngressQdisc(tap)) {
            commands.check("tc", "qdisc", "del", "dev", tap, "handle", INGRESS_PARENT, "ingress");
        }
    }

    private void deleteIfb(String ifb, LinkLabel.Vm label) {
        Optional<Links.Link> existing = links.find(ifb);
        if (existing.isPresent() && existing.get().hasLabel(label)) {
            links.delete(ifb);
        }
    }

    private boolean hasIngressQdisc(String device) {
        for (JsonNode qdisc : commands.checkJson("tc", "-j", "qdisc", "show", "dev", device)) {
            if ("ingress".equals(qdisc.path("kind").asText())) {
                return true;
            }
        }
        return false;
    }

    private static NetException verifyFailed(String device, String what) {
        return new NetException(NetError.VERIFY_FAILED, "traffic control on " + device + ": " + what,
                "inspect with 'tc -s qdisc show dev " + device + "' and 'tc filter show dev " + device
                        + " ingress'");
    }
}
