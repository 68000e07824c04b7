package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.store.ResourceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * How a host runtime claims its subnet ({@link SubnetCheck} says what a conflict is).
 *
 * <p>At registration ({@link HostRuntime#register()}): {@link #check()} refuses before anything is written; after
 * the Host is written, {@link #confirm} lists the Hosts again. Two hosts that start at the same moment may both pass
 * the first check; the one whose write came second always sees the other's in its second look (the store is
 * linearizable), and withdraws when that host's claim is older: its Host is deleted (or put back as it was, for a
 * restart that changed its subnet) and it refuses to start. A claim's age is the store revision at which the Host was
 * created, or, for our own changed subnet, the revision of our write; so the host that registered first keeps its
 * subnet, and two overlapping claims are never both kept (at worst, both withdraw).
 *
 * <p>The cluster CIDR is claimed the same way: a host whose cluster CIDR differs from a registered Host's is
 * refused, and of two that start together with different ones, the later withdraws.
 *
 * <p>While the host runs, every heartbeat looks again ({@link #conflicts()}, {@link #report}): an overlap can still
 * appear through a Host written by other means (by hand through the API, or by a kiln without this check, or a
 * running host's Host deleted and then re-created by its heartbeat after another took its subnet). Such a conflict is
 * reported once, as a log line and a {@value #REASON} Warning Event on this host's Host, and shown in its status
 * message for as long as it lasts; nothing is stopped, since which host's VMs should go is the operator's decision
 * (the advice names the host that registered later).
 */
final class SubnetClaim {
    private static final Logger LOG = LoggerFactory.getLogger(SubnetClaim.class);
    /** The reason of the Warning Event a conflict found while running is reported with. */
    static final String REASON = "SubnetConflict";

    private final String host;
    private final ResourceStore store;
    private final NodeBackend backend;
    private Set<String> reported = Set.of();

    SubnetClaim(String host, ResourceStore store, NodeBackend backend) {
        this.host = host;
        this.store = store;
        this.backend = backend;
    }

    /**
     * Before the host's first write: throws SUBNET_CONFLICT when its subnet conflicts with the registered Hosts;
     * else returns its own registration as it is now (a restart), if any.
     */
    Optional<Host> check() {
        List<Host> hosts = store.list(Host.class);
        SubnetCheck.require(host, backend.subnet(), backend.clusterCidr(), hosts);
        return hosts.stream().filter(h -> h.name().equals(host)).findFirst();
    }

    /**
     * After the write: when a Host whose claim is older than ours overlaps, or recorded a different cluster CIDR,
     * withdraws ours (back to {@code previous}, or deleted) and throws SUBNET_CONFLICT. For the cluster CIDR, our
     * claim is as old as our Host when {@code previous} recorded the same one.
     */
    void confirm(Optional<Host> previous, Host written) {
        String subnet = backend.subnet();
        if (subnet.isEmpty()) {
            return;
        }
        List<ResourceStore.Entry<Host>> entries = store.entries(Host.class);
        Map<String, Long> created = entries.stream().collect(Collectors.toMap(e -> e.resource().name(),
                ResourceStore.Entry::createRevision));
        long writeRevision = Long.parseLong(written.metadata().resourceVersion().orElseThrow());
        String cidr = backend.clusterCidr();
        long since = created.getOrDefault(host, writeRevision);
        long ours = previous.filter(p -> p.spec().subnet().equals(subnet)).isPresent() ? since : writeRevision;
        long oursCidr = previous.filter(p -> p.spec().clusterCidr().equals(cidr)).isPresent() ? since : writeRevision;
        List<Host> hosts = entries.stream().map(ResourceStore.Entry::resource).toList();
        List<SubnetCheck.Conflict> older = SubnetCheck.conflicts(host, subnet, cidr, hosts).stream()
                .filter(c -> switch (c) {
                    case SubnetCheck.Conflict.Overlap o -> created.get(o.other()) < ours;
                    case SubnetCheck.Conflict.ClusterCidrMismatch m -> created.get(m.other()) < oursCidr;
                    case SubnetCheck.Conflict.OutsideCluster x -> false; // refused by check() already
                }).toList();
        if (older.isEmpty()) {
            return;
        }
        String withdrawn = withdraw(previous);
        throw SubnetCheck.refusal(host, subnet, backend.clusterCidr(), hosts, older, " (the other host registered "
                + "first, while this one was starting; " + withdrawn + ")");
    }

    /** Puts this host's registration back as it was before {@link #confirm}; says what it did. */
    private String withdraw(Optional<Host> previous) {
        try {
            if (previous.isEmpty()) {
                store.delete(Kind.HOST, host);
                return "this host's registration was removed again";
            }
            Host was = previous.get();
            for (int attempt = 0; attempt < 3; attempt++) {
                Optional<Host> now = store.get(Host.class, host);
                if (now.isEmpty()) {
                    return "this host's registration is gone";
                }
                try {
                    store.update(now.get().withMetadata(now.get().metadata().withLabels(was.metadata().labels()))
                            .withSpec(was.spec()).withStatus(was.status()));
                    return "this host's registration is as it was before";
                } catch (ClusterException e) {
                    if (e.code() != ClusterError.CONFLICT) {
                        throw e;
                    }
                }
            }
            throw new ClusterException(ClusterError.CONFLICT, "host " + host + " kept changing");
        } catch (ClusterException e) {
            LOG.warn("host {}: cannot withdraw its registration: {}", host, e.getMessage());
            return "its registration could not be withdrawn (" + e.getMessage() + "): 'kiln delete host " + host
                    + "' removes it";
        }
    }

    /** The conflicts of this host's subnet with the Hosts registered now (none without a subnet). */
    List<SubnetCheck.Conflict> conflicts() {
        if (backend.subnet().isEmpty()) {
            return List.of();
        }
        return SubnetCheck.conflicts(host, backend.subnet(), backend.clusterCidr(), store.list(Host.class));
    }

    /**
     * Reports each conflict once, when it first appears (a log line and a Warning Event on {@code self}), and logs
     * when they are all gone.
     */
    synchronized void report(Host self, List<SubnetCheck.Conflict> conflicts) {
        Set<String> now = conflicts.stream().map(SubnetCheck.Conflict::message)
                .collect(Collectors.toCollection(TreeSet::new));
        for (SubnetCheck.Conflict c : conflicts) {
            if (!reported.contains(c.message())) {
                String what = c.message() + ": " + c.consequence() + "; " + advice(c);
                LOG.warn("host {}: {}", host, what);
                store.recordEvent(self, EventType.WARNING, REASON, what, "host-runtime/" + host);
            }
        }
        if (now.isEmpty() && !reported.isEmpty()) {
            LOG.info("host {}: its subnet {} no longer conflicts with another host's subnet or cluster CIDR", host,
                    backend.subnet());
        }
        reported = Set.copyOf(now);
    }

    /** Which host should move: the one that registered later. */
    private String advice(SubnetCheck.Conflict c) {
        return switch (c) {
            case SubnetCheck.Conflict.OutsideCluster x -> "restart this host with a --subnet inside the cluster CIDR";
            case SubnetCheck.Conflict.Overlap o -> "host " + later(o.other())
                    + " registered later: run 'kiln down' there and join again with another --subnet";
            case SubnetCheck.Conflict.ClusterCidrMismatch m -> {
                boolean mine = later(m.other()).equals(host);
                yield "host " + (mine ? host : m.other()) + " registered later: run 'kiln down' there and start its "
                        + "daemon again with --cluster-cidr " + (mine ? m.otherCidr() : m.cidr()) + " like host "
                        + (mine ? m.other() : host);
            }
        };
    }

    /** Of this host and {@code other}, the one whose Host was created later. */
    private String later(String other) {
        List<ResourceStore.Entry<Host>> entries = store.entries(Host.class);
        return revision(entries, host) > revision(entries, other) ? host : other;
    }

    private static long revision(List<ResourceStore.Entry<Host>> entries, String name) {
        return entries.stream().filter(e -> e.resource().name().equals(name)).mapToLong(
                ResourceStore.Entry::createRevision).findFirst().orElse(Long.MAX_VALUE);
    }
}
