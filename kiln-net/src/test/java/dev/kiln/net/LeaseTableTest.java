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

    /** Property: under random attach/detach sequences no address is ever held by two live vms. */
    @RepeatedTest(20)
    void neverHandsOutTheSameAddressTwiceToLiveLeases() {
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        Ipv4Cidr subnet = Ipv4Cidr.parse("10.1.2.0/27");
        LeaseTable table = LeaseTable.empty(subnet);
        Map<String, String> live = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            ids.add("vm" + i);
        }
        for (int step = 0; step < 1_000; step++) {
            String vm = ids.get(random.nextInt(ids.size()));
            if (random.nextBoolean()) {
                if (live.size() == table.capacity() && !live.containsKey(vm)) {
                    LeaseTable full = table;
                    assertThatThrownBy(() -> allocate(full, vm)).as("seed %d", seed)
                            .isInstanceOfSatisfying(NetException.class,
                                    e -> assertThat(e.code()).isEqualTo(NetError.ADDRESS_EXHAUSTED));
                    continue;
                }
                var allocation = allocate(table, vm);
                if (live.containsKey(vm)) {
                    assertThat(allocation.lease().address()).as("seed %d", seed).isEqualTo(live.get(vm));
                } else {
                    assertThat(live.values()).as("seed %d", seed).doesNotContain(allocation.lease().address());
                }
                live.put(vm, allocation.lease().address());
                table = allocation.table();
            } else {
                table = table.release(vm);
                live.remove(vm);
            }
            assertThat(new HashSet<>(live.values())).as("seed %d", seed).hasSize(live.size());
            assertThat(table.leases()).as("seed %d", seed).hasSize(live.size());
        }
    }
}
