package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.control.Res;
import dev.kiln.cluster.model.Event;
import dev.kiln.cluster.model.EventType;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.Kind;
import dev.kiln.cluster.model.Node;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Pod;
import dev.kiln.cluster.model.Resources;
import dev.kiln.cluster.store.ForwardingKvStore;
import dev.kiln.cluster.store.KvStore;
import dev.kiln.cluster.store.ResourceStore;
import dev.kiln.cluster.store.Snapshot;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A host registering a subnet another host has, against the in-memory store: refused before anything is written,
 * withdrawn when another host won a race to register, reported when an overlap appears while it runs.
 */
class SubnetRegistrationTest {
    private static final String CLUSTER = "10.90.0.0/16";
    private final Clock clock = Clock.fixed(Res.T0, ZoneOffset.UTC);
    private final KvStore kv = KvStore.memory(clock);
    private final ResourceStore store = new ResourceStore(kv, clock);

    /** A host on the cluster network, without VMs. */
    record Net(String subnet, String clusterCidr, int apiPort) implements NodeBackend {
        Net(String subnet, String clusterCidr) {
            this(subnet, clusterCidr, 7070);
        }

        @Override
        public Observed observe() {
            return new Observed(Map.of(), Map.of());
        }

        @Override
        public void startVm(Node node) {
        }

        @Override
        public void removeVm(String nodeName) {
        }

        @Override
        public void startPod(String nodeName, Pod pod) {
        }

        @Override
        public void removePod(String nodeName, String podName) {
        }

        @Override
        public Resources capacity() {
            return Resources.of("2", "4Gi");
        }

        @Override
        public String address() {
            return "192.0.2.1";
        }

        @Override
        public Map<String, String> labels() {
            return Map.of();
        }

        @Override
        public void fence() {
        }
    }

    private HostRuntime runtime(ResourceStore on, String name, String subnet) {
        return new HostRuntime(name, on, new Net(subnet, CLUSTER), clock, Duration.ofSeconds(1));
    }

    private HostRuntime runtime(String name, String subnet) {
        return runtime(store, name, subnet);
    }

    private HostRuntime runtime(String name, String subnet, String clusterCidr) {
        return new HostRuntime(name, store, new Net(subnet, clusterCidr, 7071), clock, Duration.ofSeconds(1));
    }

    private Host host(String name) {
        return store.get(Host.class, name).orElseThrow();
    }

    @Test
    void aHostWhoseSubnetOverlapsARegisteredOneDoesNotJoinAndWritesNothing() {
        runtime("h1", "10.90.1.0/24").register();
        Snapshot before = kv.listWithRevision("/");

        assertThatThrownBy(() -> runtime("h2", "10.90.1.0/24").register())
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).isEqualTo("host h2's subnet 10.90.1.0/24 overlaps host h1's subnet "
                            + "10.90.1.0/24 (h1 is Ready): two VMs could get the same address");
                    assertThat(e.hint()).get().asString().startsWith("start this host with another --subnet inside "
                            + "the cluster CIDR 10.90.0.0/16 that no other host has, such as 10.90.0.0/24");
                });
        assertThat(kv.listWithRevision("/")).isEqualTo(before); // not one write: the revision did not move
    }

    @Test
    void aSubnetOutsideTheClusterCidrDoesNotJoin() {
        Snapshot before = kv.listWithRevision("/");
        assertThatThrownBy(() -> runtime("h3", "10.91.0.0/24").register())
                .isInstanceOfSatisfying(ClusterException.class, e -> assertThat(e.getMessage())
                        .startsWith("host h3's subnet 10.91.0.0/24 is not inside the cluster CIDR 10.90.0.0/16"));
        assertThat(kv.listWithRevision("/")).isEqualTo(before);
    }

    @Test
    void aHostRecordsItsClusterCidrAndApiPort() {
        Host h1 = runtime("h1", "10.90.1.0/24", CLUSTER).register();
        assertThat(h1.spec()).isEqualTo(new HostSpec("192.0.2.1", Resources.of("2", "4Gi"), "10.90.1.0/24", CLUSTER,
                7071));
        assertThat(host("h1").spec()).isEqualTo(h1.spec());
    }

    @Test
    void aHostWithAnotherClusterCidrDoesNotJoinAndWritesNothing() {
        runtime("h1", "10.90.1.0/24").register();
        Snapshot before = kv.listWithRevision("/");

        assertThatThrownBy(() -> runtime("h2", "10.90.2.0/24", "10.90.0.0/17").register())
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).isEqualTo("host h2's cluster CIDR 10.90.0.0/17 differs from host h1's "
                            + "cluster CIDR 10.90.0.0/16 (h1 is Ready): their VMs could not reach each other across "
                            + "the overlay");
                    assertThat(e.hint()).get().asString().startsWith("start this host's daemon with --cluster-cidr "
                            + "10.90.0.0/16 like host h1");
                });
        assertThat(kv.listWithRevision("/")).isEqualTo(before);
        // a host that registered before cluster CIDRs were recorded does not hold a newcomer back
        store.update(host("h1").withSpec(new HostSpec("192.0.2.1", Resources.ZERO, "10.90.1.0/24")));
        assertThat(runtime("h2", "10.90.2.0/24", "10.90.0.0/17").register().spec().clusterCidr())
                .isEqualTo("10.90.0.0/17");
    }

    @Test
    void ofTwoHostsWithDifferentClusterCidrsStartingTogetherTheSecondWithdraws() {
        SubnetClaim first = new SubnetClaim("h1", store, new Net("10.90.1.0/24", CLUSTER));
        SubnetClaim second = new SubnetClaim("h2", store, new Net("10.90.2.0/24", "10.90.0.0/17"));
        Optional<Host> none1 = first.check();
        Optional<Host> none2 = second.check();
        Host h1 = store.create(Host.of(ObjectMeta.named("h1"), new HostSpec("192.0.2.1", Resources.ZERO,
                "10.90.1.0/24", CLUSTER, 7070)));
        Host h2 = store.create(Host.of(ObjectMeta.named("h2"), new HostSpec("192.0.2.2", Resources.ZERO,
                "10.90.2.0/24", "10.90.0.0/17", 7070)));

        first.confirm(none1, h1);
        assertThatThrownBy(() -> second.confirm(none2, h2)).isInstanceOfSatisfying(ClusterException.class,
                e -> assertThat(e.getMessage()).startsWith("host h2's cluster CIDR 10.90.0.0/17 differs from host "
                        + "h1's cluster CIDR 10.90.0.0/16 (h1 is Suspect): their VMs could not reach each other "
                        + "across the overlay (the other host registered first"));
        assertThat(store.list(Host.class)).extracting(Host::name).containsExactly("h1");
    }

    @Test
    void aClusterCidrMismatchThatAppearsWhileRunningIsReportedOnce() {
        HostRuntime h1 = runtime("h1", "10.90.1.0/24");
        h1.register();
        store.create(Host.of(ObjectMeta.named("h9"), new HostSpec("192.0.2.9", Resources.ZERO, "10.90.9.0/24",
                "10.90.0.0/17", 7070)));

        h1.heartbeat();
        h1.heartbeat();
        assertThat(store.events(Kind.HOST, "h1")).singleElement().satisfies(e -> {
            assertThat(e.reason()).isEqualTo("SubnetConflict");
            assertThat(e.message()).isEqualTo("host h1's cluster CIDR 10.90.0.0/16 differs from host h9's cluster "
                    + "CIDR 10.90.0.0/17 (h9 is Suspect): their VMs could not reach each other across the overlay; "
                    + "host h9 registered later: run 'kiln down' there and start its daemon again with --cluster-cidr "
                    + "10.90.0.0/16 like host h1");
        });
        assertThat(host("h1").status().message()).contains("host h1's cluster CIDR 10.90.0.0/16 differs from host "
                + "h9's cluster CIDR 10.90.0.0/17 (h9 is Suspect)");
    }

    @Test
    void aHostRegisteringAgainUnderItsOwnNameIsNoConflict() {
        runtime("h1", "10.90.1.0/24").register();
        runtime("h2", "10.90.2.0/24").register();
        Host again = runtime("h1", "10.90.1.0/24").register();
        assertThat(again.spec().subnet()).isEqualTo("10.90.1.0/24");
        assertThat(store.list(Host.class)).extracting(Host::name).containsExactly("h1", "h2");
    }

    @Test
    void aRestartOntoATakenSubnetIsRefusedAndTheOldRegistrationStays() {
        runtime("h1", "10.90.1.0/24").register();
        runtime("h2", "10.90.2.0/24").register();
        Host was = host("h2");
        assertThatThrownBy(() -> runtime("h2", "10.90.1.0/24").register())
                .isInstanceOfSatisfying(ClusterException.class, e -> assertThat(e.code())
                        .isEqualTo(ClusterError.SUBNET_CONFLICT));
        assertThat(host("h2")).isEqualTo(was);
    }

    @Test
    void ofTwoHostsStartingTogetherTheOneThatRegisteredSecondWithdraws() {
        // h1 registers between h2's first check (which saw no h1) and h2's write
        RacingKvStore racing = new RacingKvStore(kv, ResourceStore.key(Kind.HOST, "h2"));
        ResourceStore shared = new ResourceStore(racing, clock);
        HostRuntime h1 = runtime(shared, "h1", "10.90.1.0/24");
        racing.before = h1::register;

        assertThatThrownBy(() -> runtime(shared, "h2", "10.90.0.0/23").register())
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).startsWith("host h2's subnet 10.90.0.0/23 overlaps host h1's subnet "
                            + "10.90.1.0/24 (h1 is Ready): two VMs could get the same address (the other host "
                            + "registered first, while this one was starting; this host's registration was removed "
                            + "again)");
                });
        assertThat(racing.raced).isTrue();
        assertThat(store.list(Host.class)).extracting(Host::name).containsExactly("h1");
        h1.heartbeat();
        assertThat(host("h1").status().message()).isEmpty();
    }

    @Test
    void inARaceTheOlderClaimStaysAndTheNewerWithdrawsWhicheverLooksFirst() {
        SubnetClaim first = new SubnetClaim("h1", store, new Net("10.90.1.0/24", CLUSTER));
        SubnetClaim second = new SubnetClaim("h2", store, new Net("10.90.1.0/24", CLUSTER));
        Optional<Host> none1 = first.check();
        Optional<Host> none2 = second.check(); // both pass: neither is registered yet
        Host h1 = store.create(Host.of(ObjectMeta.named("h1"), new HostSpec("192.0.2.1", Resources.ZERO,
                "10.90.1.0/24")));
        Host h2 = store.create(Host.of(ObjectMeta.named("h2"), new HostSpec("192.0.2.2", Resources.ZERO,
                "10.90.1.0/24")));

        first.confirm(none1, h1); // it sees h2, which registered after it: it keeps its subnet
        assertThatThrownBy(() -> second.confirm(none2, h2)).isInstanceOfSatisfying(ClusterException.class,
                e -> assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT));
        assertThat(store.list(Host.class)).extracting(Host::name).containsExactly("h1");
    }

    @Test
    void anOverlapThatAppearsWhileRunningIsReportedOnceAndShownInTheHostsStatus() {
        HostRuntime h1 = runtime("h1", "10.90.1.0/24");
        h1.register();
        // a Host written by other means (by hand, or by a kiln without the check)
        store.create(Host.of(ObjectMeta.named("h9"), new HostSpec("192.0.2.9", Resources.ZERO, "10.90.1.0/25")));

        h1.heartbeat();
        h1.heartbeat();
        List<Event> events = store.events(Kind.HOST, "h1");
        assertThat(events).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo(EventType.WARNING);
            assertThat(e.reason()).isEqualTo("SubnetConflict");
            assertThat(e.count()).isEqualTo(1);
            assertThat(e.message()).isEqualTo("host h1's subnet 10.90.1.0/24 overlaps host h9's subnet 10.90.1.0/25 "
                    + "(h9 is Suspect): two VMs could get the same address; host h9 registered later: run 'kiln down' "
                    + "there and join again with another --subnet");
        });
        assertThat(host("h1").status().message()).contains("host h1's subnet 10.90.1.0/24 overlaps host h9's "
                + "subnet 10.90.1.0/25 (h9 is Suspect)");

        store.delete(Kind.HOST, "h9");
        h1.heartbeat();
        assertThat(host("h1").status().message()).isEmpty();
        assertThat(store.events(Kind.HOST, "h1")).hasSize(1);
    }

    /** A store that runs {@link #before} once, just before the first create of one key (another host's move). */
    static final class RacingKvStore extends ForwardingKvStore {
        private final String key;
        Runnable before = () -> { };
        boolean raced;

        RacingKvStore(KvStore delegate, String key) {
            super(delegate);
            this.key = key;
        }

        private void race(String k) {
            if (k.equals(key) && !raced) {
                raced = true;
                before.run();
            }
        }

        @Override
        public long create(String k, byte[] value) {
            race(k);
            return super.create(k, value);
        }

        @Override
        public long create(String k, byte[] value, long lease) {
            race(k);
            return super.create(k, value, lease);
        }
    }
}
