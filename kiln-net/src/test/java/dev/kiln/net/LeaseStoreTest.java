package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaseStoreTest {
    private static final Ipv4Cidr SUBNET = Ipv4Cidr.parse("10.77.0.0/24");
    private final ObjectMapper json = new ObjectMapper();

    @TempDir
    Path dir;

    private String allocate(LeaseStore store, String vmId) {
        return store.modify(table -> {
            var allocation = table.allocate(vmId, MacAddress.forVm(vmId), "ktap-" + vmId);
            return new LeaseStore.Change<>(allocation.table(), allocation.lease().address());
        });
    }

    @Test
    void persistsAcrossInstances() throws Exception {
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThat(allocate(store, "a")).isEqualTo("10.77.0.2");
        assertThat(allocate(store, "b")).isEqualTo("10.77.0.3");

        var reopened = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThat(reopened.read().find("b").orElseThrow().address()).isEqualTo("10.77.0.3");
        assertThat(allocate(reopened, "a")).isEqualTo("10.77.0.2");
        try (var files = Files.list(dir.resolve("net"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("leases.json",
                    "leases.lock");
        }
    }

    @Test
    void leasesKeepTheirPolicyAndOlderFilesReadAsTheDefault() throws Exception {
        Files.createDirectories(dir.resolve("net"));
        Files.writeString(dir.resolve("net/leases.json"), "{\"version\":1,\"subnet\":\"10.77.0.0/24\",\"leases\":"
                + "[{\"vmId\":\"old\",\"address\":\"10.77.0.2\",\"mac\":\"02:00:00:00:00:01\",\"tap\":\"ktap-1\"}]}");
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThat(store.read().find("old").orElseThrow().policy()).isEqualTo(GuestPolicy.defaults());

        var policy = new GuestPolicy("team-a", GuestPolicy.Egress.DENY);
        store.modify(table -> {
            var allocation = table.allocate("new", MacAddress.forVm("new"), "ktap-2", policy);
            return new LeaseStore.Change<>(allocation.table(), 0);
        });
        var reopened = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThat(reopened.read().find("new").orElseThrow().policy()).isEqualTo(policy);
        assertThat(reopened.read().find("old").orElseThrow().policy()).isEqualTo(GuestPolicy.defaults());
    }

    @Test
    void extraAddressesRoundTripAndOlderFilesReadAsNone() throws Exception {
        Files.createDirectories(dir.resolve("net"));
        Path file = dir.resolve("net/leases.json");
        Files.writeString(file, "{\"version\":1,\"subnet\":\"10.77.0.0/24\",\"leases\":[{\"vmId\":\"old\","
                + "\"address\":\"10.77.0.2\",\"mac\":\"02:00:00:00:00:01\",\"tap\":\"ktap-1\",\"tenant\":\"default\","
                + "\"egress\":\"ALLOW\"}]}");
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThat(store.read().find("old").orElseThrow().extraAddresses()).isEmpty();

        store.modify(table -> new LeaseStore.Change<>(table.allocateExtra("old", "pod:web-2").table()
                .allocateExtra("old", "pod:api-1").table(), 0));
        assertThat(Files.readString(file)).as("written in owner order")
                .containsOnlyOnce("\"extraAddresses\"").containsSubsequence("pod:api-1", "pod:web-2");
        var reopened = new LeaseStore(dir.resolve("net"), SUBNET, json);
        Lease lease = reopened.read().find("old").orElseThrow();
        assertThat(lease.extraAddresses()).containsExactly(Map.entry("pod:api-1", "10.77.0.4"),
                Map.entry("pod:web-2", "10.77.0.3"));
        assertThat(reopened.read()).isEqualTo(store.read());

        reopened.modify(table -> new LeaseStore.Change<>(table.releaseExtra("old", "pod:web-2")
                .releaseExtra("old", "pod:api-1"), 0));
        assertThat(Files.readString(file)).as("a lease without extras is written as before (older kilns read it)")
                .doesNotContain("extraAddresses");
        assertThat(new LeaseStore(dir.resolve("net"), SUBNET, json).read().find("old").orElseThrow()
                .extraAddresses()).isEmpty();
    }

    @Test
    void rejectsUnknownFieldsAndOtherSubnets() throws Exception {
        Files.createDirectories(dir.resolve("net"));
        Path file = dir.resolve("net/leases.json");
        Files.writeString(file, "{\"version\":1,\"subnet\":\"10.77.0.0/24\",\"leases\":[],\"extra\":1}");
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        assertThatThrownBy(store::read).isInstanceOfSatisfying(NetException.class,
                e -> assertThat(e.code()).isEqualTo(NetError.STATE_ERROR));

        Files.writeString(file, "{\"version\":1,\"subnet\":\"10.88.0.0/24\",\"leases\":[]}");
        assertThatThrownBy(store::read).isInstanceOfSatisfying(NetException.class, e -> {
            assertThat(e.code()).isEqualTo(NetError.STATE_ERROR);
            assertThat(e.getMessage()).contains("10.88.0.0/24");
        });
    }

    @Test
    void concurrentAllocationsGetDistinctAddresses() throws Exception {
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        List<Future<String>> results = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(8)) {
            for (int i = 0; i < 100; i++) {
                String vm = "vm" + i;
                results.add(pool.submit(() -> allocate(store, vm)));
            }
        }
        var addresses = new HashSet<String>();
        for (Future<String> result : results) {
            addresses.add(result.get());
        }
        assertThat(addresses).hasSize(100);
        assertThat(store.read().leases()).hasSize(100);
    }

    @Test
    void deleteFilesRemovesEverything() {
        var store = new LeaseStore(dir.resolve("net"), SUBNET, json);
        allocate(store, "a");
        store.deleteFiles();
        assertThat(dir.resolve("net")).doesNotExist();
        store.deleteFiles();
    }
}
