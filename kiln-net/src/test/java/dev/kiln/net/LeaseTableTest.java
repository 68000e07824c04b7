package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class LeaseTableTest {
    private static final Ipv4Cidr SUBNET = Ipv4Cidr.parse("10.77.0.0/24");

    private static LeaseTable.Allocation allocate(LeaseTable table, String vmId) {
        return table.allocate(vmId, MacAddress.forVm(vmId), LinkLabel.tapName("kiln0", vmId));
    }

    @Test
    void handsOutLowestFreeAddressFromDotTwo() {
        var first = allocate(LeaseTable.empty(SUBNET), "a");
        var second = allocate(first.table(), "b");
        assertThat(first.lease().address()).isEqualTo("10.77.0.2");
        assertThat(second.lease().address()).isEqualTo("10.77.0.3");
        assertThat(first.created()).isTrue();

        LeaseTable released = second.table().release("a");
        assertThat(allocate(released, "c").lease().address()).isEqualTo("10.77.0.2");
    }

    @Test
    void allocateIsIdempotentPerVm() {
        var first = allocate(LeaseTable.empty(SUBNET), "a");
        var again = allocate(first.table(), "a");
        assertThat(again.created()).isFalse();
        assertThat(again.lease()).isEqualTo(first.lease());
        assertThat(again.table()).isEqualTo(first.table());
    }

    @Test
    void neverLeasesNetworkGatewayOrBroadcastAndExhausts() {
        Ipv4Cidr small = Ipv4Cidr.parse("10.9.9.0/29");
        LeaseTable table = LeaseTable.empty(small);
        Set<String> handed = new HashSet<>();
        for (int i = 0; i < table.capacity(); i++) {
            var allocation = allocate(table, "vm" + i);
            handed.add(allocation.lease().address());
            table = allocation.table();
        }
        assertThat(handed).containsExactlyInAnyOrder("10.9.9.2", "10.9.9.3", "10.9.9.4", "10.9.9.5", "10.9.9.6");
        LeaseTable full = table;
        assertThatThrownBy(() -> allocate(full, "one-more"))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED);
                    assertThat(e.hint()).contains("larger subnet");
                });
    }

    @Test
    void releaseOfUnknownVmIsNoOp() {
        LeaseTable table = allocate(LeaseTable.empty(SUBNET), "a").table();
        assertThat(table.release("zzz")).isEqualTo(table);
    }

    @Test
    void rejectsInconsistentTables() {
        var lease = new Lease("a", "10.77.0.2", MacAddress.forVm("a").value(), "ktap-x");
        assertThatThrownBy(() -> new LeaseTable(SUBNET, List.of(lease, new Lease("b", "10.77.0.2", "m", "t"))))
                .isInstanceOfSatisfying(NetException.class, e -> assertThat(e.code()).isEqualTo(NetError.STATE_ERROR));
        for (String reserved : List.of("10.77.0.0", "10.77.0.1", "10.77.0.255", "10.78.0.2", "bogus")) {
            assertThatThrownBy(() -> new LeaseTable(SUBNET, List.of(new Lease("a", reserved, "m", "t"))))
                    .isInstanceOfSatisfying(NetException.class,
                            e -> assertThat(e.code()).isEqualTo(NetError.STATE_ERROR));
        }
    }

    @Test
    void extraAddressesAreTheLowestFreeSkippingLeasesAndOtherExtras() {
        LeaseTable table = allocate(allocate(LeaseTable.empty(SUBNET), "a").table(), "b").table();
        var first = table.allocateExtra("a", "pod:web-1");
        assertThat(first.address()).isEqualTo("10.77.0.4");
        assertThat(first.created()).isTrue();
        assertThat(first.lease().extraAddresses()).containsExactly(Map.entry("pod:web-1", "10.77.0.4"));
        var second = first.table().allocateExtra("b", "pod:db-1");
        assertThat(second.address()).as("skips a's extra").isEqualTo("10.77.0.5");
        var third = second.table().allocateExtra("a", "pod:web-2");
        assertThat(third.address()).isEqualTo("10.77.0.6");
        assertThat(third.table().find("a").orElseThrow().extraAddresses())
                .containsExactly(Map.entry("pod:web-1", "10.77.0.4"), Map.entry("pod:web-2", "10.77.0.6"));

        LeaseTable freed = third.table().releaseExtra("a", "pod:web-1");
        assertThat(freed.find("a").orElseThrow().extraAddresses()).containsOnlyKeys("pod:web-2");
        assertThat(freed.allocateExtra("b", "pod:db-2").address()).as("a released extra is free again")
                .isEqualTo("10.77.0.4");
    }

    @Test
    void anExtraAddressIsIdempotentPerOwnerAndReleaseIsANoOpWhenGone() {
        LeaseTable table = allocate(LeaseTable.empty(SUBNET), "a").table();
        var first = table.allocateExtra("a", "pod:web-1");
        var again = first.table().allocateExtra("a", "pod:web-1");
        assertThat(again.created()).isFalse();
        assertThat(again.address()).isEqualTo(first.address());
        assertThat(again.table()).isEqualTo(first.table());

        LeaseTable released = first.table().releaseExtra("a", "pod:web-1");
        assertThat(released).isEqualTo(table);
        assertThat(released.releaseExtra("a", "pod:web-1")).isEqualTo(released);
        assertThat(released.releaseExtra("nobody", "pod:web-1")).isEqualTo(released);
    }

    @Test
    void allocateNeverHandsOutAnExtraAddress() {
        var extra = allocate(LeaseTable.empty(SUBNET), "a").table().allocateExtra("a", "pod:p");
        assertThat(extra.address()).isEqualTo("10.77.0.3");
        assertThat(allocate(extra.table(), "b").lease().address()).isEqualTo("10.77.0.4");
        assertThat(allocate(extra.table().release("a"), "b").lease().address())
                .as("a lease's extras go with it").isEqualTo("10.77.0.2");
    }

    @Test
    void aChangedPolicyKeepsTheExtras() {
        var extra = allocate(LeaseTable.empty(SUBNET), "a").table().allocateExtra("a", "pod:p");
        var policy = new GuestPolicy("team", GuestPolicy.Egress.DENY);
        var changed = extra.table().allocate("a", MacAddress.forVm("a"), LinkLabel.tapName("kiln0", "a"), policy);
        assertThat(changed.lease().policy()).isEqualTo(policy);
        assertThat(changed.lease().extraAddresses()).containsExactly(Map.entry("pod:p", "10.77.0.3"));
    }

    @Test
    void extraAddressesExhaustTheSubnetLikeLeases() {
        Ipv4Cidr small = Ipv4Cidr.parse("10.9.9.0/29");
        LeaseTable table = allocate(LeaseTable.empty(small), "node").table();
        for (int i = 0; i < table.capacity() - 1; i++) {
            table = table.allocateExtra("node", "pod:" + i).table();
        }
        assertThat(table.find("node").orElseThrow().extraAddresses().values())
                .containsExactly("10.9.9.3", "10.9.9.4", "10.9.9.5", "10.9.9.6");
        LeaseTable full = table;
        assertThatThrownBy(() -> full.allocateExtra("node", "pod:one-more"))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED);
                    assertThat(e.getMessage()).contains("10.9.9.0/29");
                });
        assertThatThrownBy(() -> allocate(full, "vm")).isInstanceOfSatisfying(NetException.class,
                e -> assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED));
        assertThat(full.allocateExtra("node", "pod:0").address()).as("an owner's own address is no new one")
                .isEqualTo("10.9.9.3");
    }

    @Test
    void anExtraAddressNeedsALeaseAndAValidOwner() {
        LeaseTable table = allocate(LeaseTable.empty(SUBNET), "a").table();
        assertThatThrownBy(() -> table.allocateExtra("b", "pod:p")).isInstanceOfSatisfying(NetException.class,
                e -> assertThat(e.code()).isEqualTo(NetError.NOT_ATTACHED));
        for (String bad : List.of("", "pod web", "pod;x", "x".repeat(129), "pöd")) {
            assertThatThrownBy(() -> table.allocateExtra("a", bad)).isInstanceOfSatisfying(NetException.class,
                    e -> assertThat(e.code()).isEqualTo(NetError.INVALID_ARGUMENT));
        }
        assertThat(table.allocateExtra("a", "pod:ns/web-7d9f_x.1-" + "y".repeat(100)).created()).isTrue();
    }

    @Test
    void rejectsTablesWithAnAddressHeldTwiceAcrossLeasesAndExtras() {
        var cases = List.of(
                // an extra that is another lease's address
                List.of(lease("a", "10.77.0.2", Map.of()), lease("b", "10.77.0.3", Map.of("pod:p", "10.77.0.2"))),
                // an extra that is the lease's own address
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.2"))),
                // the same extra on two leases
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.9")),
                        lease("b", "10.77.0.3", Map.of("pod:q", "10.77.0.9"))),
                // the same extra twice on one lease
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.9", "pod:q", "10.77.0.9"))),
                // an extra outside the guest range, or no address at all
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.1"))),
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.255"))),
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.78.0.9"))),
                List.of(lease("a", "10.77.0.2", Map.of("pod:p", "bogus"))),
                // an owner that addAddress would refuse
                List.of(lease("a", "10.77.0.2", Map.of("pod p", "10.77.0.9"))));
        for (List<Lease> leases : cases) {
            assertThatThrownBy(() -> new LeaseTable(SUBNET, leases)).as("%s", leases)
                    .isInstanceOfSatisfying(NetException.class,
                            e -> assertThat(e.code()).isEqualTo(NetError.STATE_ERROR));
        }
        assertThat(new LeaseTable(SUBNET, List.of(lease("a", "10.77.0.2", Map.of("pod:p", "10.77.0.9")),
                lease("b", "10.77.0.3", Map.of("pod:q", "10.77.0.10")))).leases()).hasSize(2);
    }

    private static Lease lease(String vmId, String address, Map<String, String> extras) {
        return new Lease(vmId, address, MacAddress.forVm(vmId).value(), LinkLabel.tapName("kiln0", vmId), null,
                null, new java.util.TreeMap<>(extras));
    }

    /**
     * Property: under random sequences of attach, detach, extra address and its release, no address is ever held
     * twice (by two live vms, or as a lease's address and an extra, or as two extras), an owner keeps its address,
     * and the subnet is exhausted exactly when every address is taken.
     */
    @RepeatedTest(20)
    void neverHandsOutTheSameAddressTwiceToLiveLeases() {
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        Ipv4Cidr subnet = Ipv4Cidr.parse("10.1.2.0/27");
        LeaseTable table = LeaseTable.empty(subnet);
        Map<String, String> live = new HashMap<>();
        Map<String, Map<String, String>> extras = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            ids.add("vm" + i);
        }
        for (int step = 0; step < 1_000; step++) {
            String vm = ids.get(random.nextInt(ids.size()));
            String owner = "pod:" + random.nextInt(4);
            int held = live.size() + extras.values().stream().mapToInt(Map::size).sum();
            boolean full = held == table.capacity();
            LeaseTable before = table;
            switch (random.nextInt(4)) {
                case 0 -> {
                    if (full && !live.containsKey(vm)) {
                        assertThatThrownBy(() -> allocate(before, vm)).as("seed %d", seed)
                                .isInstanceOfSatisfying(NetException.class,
                                        e -> assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED));
                        continue;
                    }
                    var allocation = allocate(table, vm);
                    if (live.containsKey(vm)) {
                        assertThat(allocation.lease().address()).as("seed %d", seed).isEqualTo(live.get(vm));
                    } else {
                        assertThat(held(live, extras)).as("seed %d", seed)
                                .doesNotContain(allocation.lease().address());
                    }
                    live.put(vm, allocation.lease().address());
                    table = allocation.table();
                }
                case 1 -> {
                    table = table.release(vm);
                    live.remove(vm);
                    extras.remove(vm);
                }
                case 2 -> {
                    Map<String, String> mine = extras.getOrDefault(vm, Map.of());
                    if (!live.containsKey(vm) || (full && !mine.containsKey(owner))) {
                        NetError expected = live.containsKey(vm) ? NetError.ADDRESS_EXHAUSTED : NetError.NOT_ATTACHED;
                        assertThatThrownBy(() -> before.allocateExtra(vm, owner)).as("seed %d", seed)
                                .isInstanceOfSatisfying(NetException.class,
                                        e -> assertThat(e.code()).isEqualTo(expected));
                        continue;
                    }
                    var extra = table.allocateExtra(vm, owner);
                    if (mine.containsKey(owner)) {
                        assertThat(extra.address()).as("seed %d", seed).isEqualTo(mine.get(owner));
                        assertThat(extra.table()).as("seed %d", seed).isEqualTo(table);
                    } else {
                        assertThat(held(live, extras)).as("seed %d", seed).doesNotContain(extra.address());
                    }
                    extras.computeIfAbsent(vm, v -> new HashMap<>()).put(owner, extra.address());
                    table = extra.table();
                }
                default -> {
                    table = table.releaseExtra(vm, owner);
                    extras.getOrDefault(vm, new HashMap<>()).remove(owner);
                }
            }
            List<String> all = held(live, extras);
            List<String> inTable = table.leases().stream().flatMap(lease -> lease.allAddresses().stream()).sorted()
                    .toList();
            if (new HashSet<>(all).size() != all.size() || table.leases().size() != live.size()
                    || !inTable.equals(all.stream().sorted().toList())) {
                throw new AssertionError("seed " + seed + ", step " + step + ": the model holds " + live + " and "
                        + extras + ", the table " + table.leases());
            }
        }
    }

    private static List<String> held(Map<String, String> live, Map<String, Map<String, String>> extras) {
        var all = new ArrayList<>(live.values());
        extras.values().forEach(mine -> all.addAll(mine.values()));
        return all;
    }
}
