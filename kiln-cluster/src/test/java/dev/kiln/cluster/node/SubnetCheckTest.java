package dev.kiln.cluster.node;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Host;
import dev.kiln.cluster.model.HostPhase;
import dev.kiln.cluster.model.HostSpec;
import dev.kiln.cluster.model.HostStatus;
import dev.kiln.cluster.model.Ipv4Subnet;
import dev.kiln.cluster.model.ObjectMeta;
import dev.kiln.cluster.model.Resources;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pure subnet check between hosts: examples, and properties of the overlap arithmetic. */
class SubnetCheckTest {
    static Host host(String name, String subnet, HostPhase phase) {
        return Host.of(ObjectMeta.named(name), new HostSpec("192.0.2.1", Resources.ZERO, subnet))
                .withStatus(new HostStatus(phase, Optional.empty(), Resources.ZERO, Optional.empty(),
                        Optional.empty()));
    }

    static Host host(String name, String subnet) {
        return host(name, subnet, HostPhase.READY);
    }

    /** A Host that recorded its cluster CIDR. */
    static Host host(String name, String subnet, String clusterCidr, HostPhase phase) {
        return Host.of(ObjectMeta.named(name), new HostSpec("192.0.2.1", Resources.ZERO, subnet, clusterCidr, 7070))
                .withStatus(new HostStatus(phase, Optional.empty(), Resources.ZERO, Optional.empty(),
                        Optional.empty()));
    }

    static Host host(String name, String subnet, String clusterCidr) {
        return host(name, subnet, clusterCidr, HostPhase.READY);
    }

    @Test
    void anOverlapNamesBothHostsAndBothSubnets() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24"), host("h3", "10.90.0.0/23"), host("h4", "10.90.4.0/24"));
        assertThat(SubnetCheck.conflicts("h2", "10.90.1.0/24", "10.90.0.0/16", hosts))
                .extracting(SubnetCheck.Conflict::message).containsExactly(
                        "host h2's subnet 10.90.1.0/24 overlaps host h1's subnet 10.90.1.0/24 (h1 is Ready)",
                        "host h2's subnet 10.90.1.0/24 overlaps host h3's subnet 10.90.0.0/23 (h3 is Ready)");
    }

    @Test
    void theHostItselfAndHostsWithoutASubnetAreNoConflict() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24"), host("solo", ""));
        assertThat(SubnetCheck.conflicts("h1", "10.90.1.0/24", "10.90.0.0/16", hosts)).isEmpty();
        assertThat(SubnetCheck.conflicts("h2", "", "", List.of(host("h1", "10.90.1.0/24")))).isEmpty();
    }

    @Test
    void aLostHostKeepsItsSubnetAndTheHintSaysHowToFreeIt() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", HostPhase.LOST), host("h2", "10.90.0.0/24"));
        assertThatThrownBy(() -> SubnetCheck.require("h3", "10.90.1.0/24", "10.90.0.0/16", hosts))
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).isEqualTo("host h3's subnet 10.90.1.0/24 overlaps host h1's subnet "
                            + "10.90.1.0/24 (h1 is Lost): two VMs could get the same address");
                    assertThat(e.hint()).contains("start this host with another --subnet inside the cluster CIDR "
                            + "10.90.0.0/16 that no other host has, such as 10.90.2.0/24 ('kiln get hosts -o wide' "
                            + "lists the hosts' subnets); host h1 is Lost: if it is gone for good, 'kiln delete host "
                            + "h1' frees its subnet");
                });
    }

    @Test
    void aSubnetOutsideTheClusterCidrIsAConflict() {
        assertThat(SubnetCheck.conflicts("h1", "10.91.0.0/24", "10.90.0.0/16", List.of()))
                .extracting(SubnetCheck.Conflict::message)
                .containsExactly("host h1's subnet 10.91.0.0/24 is not inside the cluster CIDR 10.90.0.0/16");
        assertThat(SubnetCheck.conflicts("h1", "10.90.0.0/15", "10.90.0.0/16", List.of())).hasSize(1);
        assertThat(SubnetCheck.conflicts("h1", "10.90.255.0/24", "10.90.0.0/16", List.of())).isEmpty();
        assertThat(SubnetCheck.conflicts("h1", "10.91.0.0/24", "", List.of())).isEmpty();
    }

    @Test
    void theSameClusterCidrIsNoConflict() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", "10.90.0.0/16"), host("h3", "10.90.3.0/24",
                "10.90.0.0/16"));
        assertThat(SubnetCheck.conflicts("h2", "10.90.2.0/24", "10.90.0.0/16", hosts)).isEmpty();
    }

    @Test
    void anotherClusterCidrIsAConflictNamingBothHostsAndBothCidrs() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", "10.90.0.0/16"));
        assertThat(SubnetCheck.conflicts("h2", "10.90.2.0/24", "10.90.0.0/17", hosts)).singleElement()
                .isEqualTo(new SubnetCheck.Conflict.ClusterCidrMismatch("h2", Ipv4Subnet.parse("10.90.0.0/17")
                        .orElseThrow(), "h1", Ipv4Subnet.parse("10.90.0.0/16").orElseThrow(), HostPhase.READY))
                .extracting(SubnetCheck.Conflict::message).isEqualTo("host h2's cluster CIDR 10.90.0.0/17 differs "
                        + "from host h1's cluster CIDR 10.90.0.0/16 (h1 is Ready)");
    }

    @Test
    void theHostsOwnClusterCidrAndHostsThatRecordedNoneAreNoConflict() {
        // its own earlier registration (a restart with another --cluster-cidr), and a Host of an older kiln
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", "10.91.0.0/16"), host("old", "10.90.3.0/24", ""));
        assertThat(SubnetCheck.conflicts("h1", "10.90.1.0/24", "10.90.0.0/16", hosts)).isEmpty();
        // and a host that is not told its cluster CIDR checks only overlaps
        assertThat(SubnetCheck.conflicts("h2", "10.90.2.0/24", "", List.of(host("h1", "10.90.1.0/24",
                "10.91.0.0/16")))).isEmpty();
    }

    @Test
    void aClusterCidrMismatchIsRefusedWithTheOtherHostsCidrInTheHint() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", "10.90.0.0/16"),
                host("h3", "10.90.3.0/24", "10.90.0.0/16", HostPhase.LOST));
        assertThatThrownBy(() -> SubnetCheck.require("h2", "10.91.1.0/24", "10.91.0.0/16", hosts))
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.code()).isEqualTo(ClusterError.SUBNET_CONFLICT);
                    assertThat(e.getMessage()).isEqualTo("host h2's cluster CIDR 10.91.0.0/16 differs from host "
                            + "h1's cluster CIDR 10.90.0.0/16 (h1 is Ready); host h2's cluster CIDR 10.91.0.0/16 "
                            + "differs from host h3's cluster CIDR 10.90.0.0/16 (h3 is Lost): their VMs could not "
                            + "reach each other across the overlay");
                    assertThat(e.hint()).contains("start this host's daemon with --cluster-cidr 10.90.0.0/16 like "
                            + "hosts h1, h3, since all hosts of a cluster share one cluster network, and with a "
                            + "--subnet inside it that no other host has, such as 10.90.0.0/24 ('kiln get hosts -o "
                            + "yaml' shows each host's clusterCidr and subnet); host h3 is Lost: if it is gone for "
                            + "good, 'kiln delete host h3' removes it");
                });
    }

    @Test
    void aMismatchAndAnOverlapAreBothNamedEachWithWhatItCauses() {
        List<Host> hosts = List.of(host("h1", "10.90.1.0/24", "10.90.0.0/16"), host("h9", "10.90.9.0/24",
                "10.88.0.0/13"));
        assertThatThrownBy(() -> SubnetCheck.require("h2", "10.90.1.0/24", "10.90.0.0/17", hosts))
                .isInstanceOfSatisfying(ClusterException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo("host h2's cluster CIDR 10.90.0.0/17 differs from host "
                            + "h1's cluster CIDR 10.90.0.0/16 (h1 is Ready); host h2's cluster CIDR 10.90.0.0/17 "
                            + "differs from host h9's cluster CIDR 10.88.0.0/13 (h9 is Ready): their VMs could not "
                            + "reach each other across the overlay; host h2's subnet 10.90.1.0/24 overlaps host h1's "
                            + "subnet 10.90.1.0/24 (h1 is Ready): two VMs could get the same address");
                    assertThat(e.hint()).get().asString().startsWith("the other hosts differ too (h1: "
                            + "10.90.0.0/16; h9: 10.88.0.0/13): start every host's daemon with one --cluster-cidr");
                });
    }

    @Test
    void aSuggestionIsTheFirstFreeSliceOfTheSameSize() {
        List<Host> hosts = List.of(host("h1", "10.90.0.0/24"), host("h2", "10.90.1.0/24"), host("h3", "10.90.2.0/23"));
        assertThat(SubnetCheck.suggestion("h4", "10.90.1.0/24", "10.90.0.0/16", hosts)).contains("10.90.4.0/24");
        assertThat(SubnetCheck.suggestion("h4", "10.90.1.0/24", "", hosts)).isEmpty();
        assertThat(SubnetCheck.suggestion("h4", "10.90.0.0/24", "10.90.0.0/24", List.of(host("h1", "10.90.0.0/24"))))
                .isEmpty();
    }

    @Test
    void anUnreadableSubnetOfThisHostIsInvalidAndAnotherHostsIsIgnored() {
        assertThatThrownBy(() -> SubnetCheck.conflicts("h1", "10.90.1.0", "", List.of()))
                .isInstanceOfSatisfying(ClusterException.class, e -> assertThat(e.code())
                        .isEqualTo(ClusterError.INVALID));
        assertThat(SubnetCheck.conflicts("h1", "10.90.1.0/24", "", List.of(host("h2", "nonsense")))).isEmpty();
    }

    @Property
    void overlapIsSymmetric(@ForAll("subnets") Ipv4Subnet a, @ForAll("subnets") Ipv4Subnet b) {
        assertThat(a.overlaps(b)).isEqualTo(b.overlaps(a));
        assertThat(SubnetCheck.conflicts("a", a.toString(), "", List.of(host("b", b.toString())))).hasSize(
                SubnetCheck.conflicts("b", b.toString(), "", List.of(host("a", a.toString()))).size());
    }

    @Property
    void overlapMeansASharedAddress(@ForAll("subnets") Ipv4Subnet a, @ForAll("subnets") Ipv4Subnet b) {
        // two CIDR blocks share an address exactly when the larger one holds the smaller one's first address
        Ipv4Subnet larger = a.prefixLength() <= b.prefixLength() ? a : b;
        Ipv4Subnet smaller = larger == a ? b : a;
        boolean shared = larger.contains(new Ipv4Subnet(smaller.network(), 32));
        assertThat(a.overlaps(b)).isEqualTo(shared);
        assertThat(a.overlaps(a)).isTrue();
    }

    @Property
    void distinctSlash24sOfTheClusterNeverConflict(@ForAll @IntRange(max = 255) int i, @ForAll @IntRange(max = 255) int j) {
        String mine = "10.90." + i + ".0/24";
        List<SubnetCheck.Conflict> found = SubnetCheck.conflicts("h" + i, mine, "10.90.0.0/16",
                List.of(host("other", "10.90." + j + ".0/24")));
        if (i == j) {
            assertThat(found).singleElement().isInstanceOf(SubnetCheck.Conflict.Overlap.class);
        } else {
            assertThat(found).isEmpty();
        }
    }

    @Property
    void aSuggestionNeverConflicts(@ForAll("slash24s") List<Integer> taken, @ForAll @IntRange(max = 255) int mine) {
        List<Host> hosts = taken.stream().distinct().map(i -> host("h" + i, "10.90." + i + ".0/24")).toList();
        Optional<String> free = SubnetCheck.suggestion("me", "10.90." + mine + ".0/24", "10.90.0.0/16", hosts);
        assertThat(free.isPresent()).isEqualTo(taken.stream().distinct().count() < 256);
        free.ifPresent(s -> assertThat(SubnetCheck.conflicts("me", s, "10.90.0.0/16", hosts)).isEmpty());
    }

    @Provide
    Arbitrary<Ipv4Subnet> subnets() {
        // addresses from a small range so that overlaps are common, and any prefix length
        return Arbitraries.integers().between(0, 32).flatMap(prefix -> Arbitraries.integers().between(0, 1 << 12)
                .map(offset -> new Ipv4Subnet(0x0a5a0000 + (offset << 8), prefix).asNetwork()));
    }

    @Provide
    Arbitrary<List<Integer>> slash24s() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 255).list().ofMaxSize(300),
                Arbitraries.just(java.util.stream.IntStream.range(0, 256).boxed().toList()));
    }
}
