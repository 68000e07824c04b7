package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The API on its real Unix socket: bad input gets a clear error and changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostApiTest {
    private HostConfig config;
    private HostAgent agent;
    private UdsHttp http;

    @BeforeAll
    void start() {
        config = TestHosts.config(true);
        agent = HostAgent.start(config);
        http = new UdsHttp(config.socket());
    }

    @AfterAll
    void stop() {
        http.close();
        agent.cleanupAndClose();
        TestHosts.deleteTree(config.stateDir());
    }

    private void assertNothingCreated() throws Exception {
        assertThat(agent.vms().list()).isEmpty();
        try (var dirs = Files.list(config.stateDir().resolve("vms"))) {
            assertThat(dirs.toList()).isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            // no VM was ever created
        }
        assertThat(agent.network().lookup("any")).isEmpty();
    }

    @Test
    void theSocketIsRootOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(config.socket()))).isEqualTo("rw-------");
        int dirMode = (Integer) Files.getAttribute(config.socket().getParent(), "unix:mode");
        assertThat(dirMode & 0022).as("group or others may write to the socket's directory").isZero();
        // a non-root user cannot even connect: the socket needs write permission, which only its owner has
        assertThat(Files.getOwner(config.socket()).getName()).isEqualTo("root");
    }

    @Test
    void aWorldWritableSocketDirectoryIsRefusedAndANewOneIsRootOnly() throws Exception {
        Path open = Files.createTempDirectory("kiln-open-");
        Path made = open.resolve("run-kiln");
        try {
            Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
            HostException e = org.assertj.core.api.Assertions.catchThrowableOfType(HostException.class,
                    () -> HostAgent.socketDirectory(open));
            assertThat(e.getMessage()).contains("may be written by anybody (mode 777)");
            assertThat(e.hint()).contains("chmod o-w " + open);

            HostAgent.socketDirectory(made);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).isEqualTo("rwx------");
            // like /tmp: sticky, so others cannot replace our socket
            assertThat(new ProcessBuilder("chmod", "1777", open.toString()).start().waitFor()).isZero();
            HostAgent.socketDirectory(open);
        } finally {
            Files.deleteIfExists(made);
            Files.deleteIfExists(open);
        }
    }

    @Test
    void healthReportsDriverAndAccelerator() {
        var r = http.send("GET", "/v1/health", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("\"status\":\"ok\"").contains("\"accelerator\"").contains("\"acceleratorReason\"");
    }

    @Test
    void anUnknownFieldIsRejectedAndNothingIsCreated() throws Exception {
        var r = http.send("POST", "/v1/vms", "{\"name\":\"x\",\"memroy\":\"256M\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("UNKNOWN_FIELD").contains("memroy");
        assertNothingCreated();
    }

    @Test
    void aBodyOverTheLimitIs413AndNothingIsCreated() throws Exception {
        String big = "{\"name\":\"x\",\"pad\":\"" + "p".repeat((1 << 20) + 10) + "\"}";
        var r = http.send("POST", "/v1/vms", big);
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).contains("PAYLOAD_TOO_LARGE").contains("larger than 1 MiB");
        assertNothingCreated();
    }

    @Test
    void malformedJsonIsABadRequest() throws Exception {
        var r = http.send("POST", "/v1/vms", "{\"name\": ");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("BAD_REQUEST").contains("malformed JSON");
        assertNothingCreated();
    }

    @Test
    void tooLittleMemoryIsRejectedWithAHint() throws Exception {
        var r = http.send("POST", "/v1/vms", "{\"memory\":\"16M\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("INVALID_SPEC").contains("below").contains("--memory");
        assertNothingCreated();
    }

    @Test
    void aBadTenantOrEgressIsRejectedBeforeAnythingIsCreated() throws Exception {
        var tenant = http.send("POST", "/v1/vms", "{\"name\":\"t\",\"tenant\":\"Team A\"}");
        assertThat(tenant.status()).isEqualTo(400);
        assertThat(tenant.body()).contains("INVALID_SPEC").contains("invalid tenant 'Team A'");
        var egress = http.send("POST", "/v1/vms", "{\"name\":\"e\",\"egress\":\"sometimes\"}");
        assertThat(egress.status()).isEqualTo(400);
        assertThat(egress.body()).contains("INVALID_SPEC").contains("allow or deny");
        assertNothingCreated();
    }

    @Test
    void aContainersBadTenantOrEgressGetsTheVmErrorsBeforeAnythingIsCreated() throws Exception {
        var tenant = http.send("POST", "/v1/containers", "{\"image\":\"busybox:test\",\"tenant\":\"Team A\"}");
        assertThat(tenant.status()).isEqualTo(400);
        assertThat(tenant.body()).contains("INVALID_SPEC").contains("invalid tenant 'Team A'");
        var egress = http.send("POST", "/v1/containers", "{\"image\":\"busybox:test\",\"egress\":\"sometimes\"}");
        assertThat(egress.status()).isEqualTo(400);
        assertThat(egress.body()).contains("INVALID_SPEC").contains("invalid egress policy 'sometimes'")
                .contains("allow or deny");
        var inVm = http.send("POST", "/v1/containers", "{\"image\":\"busybox:test\",\"vm\":\"any\",\"tenant\":\"a\"}");
        assertThat(inVm.status()).isEqualTo(400);
        assertThat(inVm.body()).contains("INVALID_SPEC").contains("tenant and egress are for a fresh VM");
        var egressInVm = http.send("POST", "/v1/containers", "{\"image\":\"busybox:test\",\"vm\":\"any\",\"egress\":\"deny\"}");
        assertThat(egressInVm.status()).isEqualTo(400);
        assertThat(egressInVm.body()).contains("INVALID_SPEC").contains("for a fresh VM");
        assertThat(agent.containers().list()).isEmpty();
        assertNothingCreated();
    }

    @Test
    void aVmShowsItsTenantEgressAndHugePagesAndTheLeaseHasThePolicy() throws Exception {
        var created = http.send("POST", "/v1/vms", "{\"name\":\"pol\",\"driver\":\"fake\",\"tenant\":\"team-a\","
                + "\"egress\":\"deny\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        var plain = http.send("POST", "/v1/vms", "{\"name\":\"plain\",\"driver\":\"fake\"}");
        assertThat(plain.status()).as(plain.body()).isEqualTo(201);
        try {
            var json = Json.mapper();
            var vm = json.readTree(http.send("GET", "/v1/vms/pol", null).body());
            assertThat(vm.path("tenant").asText()).isEqualTo("team-a");
            assertThat(vm.path("egress").asText()).isEqualTo("deny");
            assertThat(vm.path("guestIsolation").asBoolean(false)).isTrue();
            assertThat(vm.path("hugePages").isBoolean()).isTrue();
            assertThat(vm.path("hugePages").asBoolean()).isFalse();
            assertThat(agent.network().policy(vm.path("id").asText())).contains(
                    new dev.kiln.net.GuestPolicy("team-a", dev.kiln.net.GuestPolicy.Egress.DENY));
            var listed = json.readTree(http.send("GET", "/v1/vms", null).body()).path("vms");
            assertThat(listed).anySatisfy(v -> {
                assertThat(v.path("name").asText()).isEqualTo("plain");
                assertThat(v.path("tenant").asText()).isEqualTo("default");
                assertThat(v.path("egress").asText()).isEqualTo("allow");
            });
        } finally {
            assertThat(http.send("DELETE", "/v1/vms/pol?force=true", null).status()).isEqualTo(204);
            assertThat(http.send("DELETE", "/v1/vms/plain?force=true", null).status()).isEqualTo(204);
        }
        assertNothingCreated();
    }

    @Test
    void aTenantThatTheAdmissionRefusesIsRefusedBeforeAnythingIsMade() throws Exception {
        // as a cluster member does for a tenant whose overlay tag another tenant holds (TenantTags)
        agent.vms().tenantAdmission(tenant -> {
            if (tenant.equals("team-b")) {
                throw new HostException(HostError.TENANT_CONFLICT, "tenant 'team-b' cannot run in this cluster",
                        "choose another tenant name");
            }
        });
        try {
            var refused = http.send("POST", "/v1/vms", "{\"name\":\"tb\",\"driver\":\"fake\",\"tenant\":\"team-b\"}");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.body()).contains("TENANT_CONFLICT", "tenant 'team-b' cannot run", "another tenant");
            assertNothingCreated();
            var other = http.send("POST", "/v1/vms", "{\"name\":\"tc\",\"driver\":\"fake\",\"tenant\":\"team-c\"}");
            assertThat(other.status()).as(other.body()).isEqualTo(201);
            assertThat(agent.vms().tenants()).containsExactly("team-c");
            assertThat(http.send("DELETE", "/v1/vms/tc?force=true", null).status()).isEqualTo(204);
        } finally {
            agent.vms().tenantAdmission(tenant -> { });
        }
        assertNothingCreated();
    }

    @Test
    void aMissingDiskFileIsRejected() throws Exception {
        var r = http.send("POST", "/v1/vms", "{\"disks\":[{\"path\":\"/nonexistent/disk.img\",\"readOnly\":true}]}");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.body()).contains("FILE_NOT_FOUND").contains("/nonexistent/disk.img");
        assertNothingCreated();
    }

    @Test
    void anUnavailableDriverIsNamed() throws Exception {
        var r = http.send("POST", "/v1/vms", "{\"driver\":\"firecracker\"}");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("firecracker").contains("kiln doctor").contains("Firecracker cannot run on this host")
                .contains("no firecracker binary was found");
        assertNothingCreated();
    }

    @Test
    void aNameInUseIsRejectedAndARunningVmIsNotRemovedWithoutForce() throws Exception {
        var ok = http.send("POST", "/v1/vms", "{\"name\":\"dup\",\"driver\":\"fake\"}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(201);
        try {
            var again = http.send("POST", "/v1/vms", "{\"name\":\"dup\",\"driver\":\"fake\"}");
            assertThat(again.status()).isEqualTo(409);
            assertThat(again.body()).contains("NAME_TAKEN");
            var rm = http.send("DELETE", "/v1/vms/dup", null);
            assertThat(rm.status()).isEqualTo(409);
            assertThat(rm.body()).contains("VM_RUNNING").contains("rm -f");
            assertThat(agent.vms().list()).hasSize(1);
        } finally {
            assertThat(http.send("DELETE", "/v1/vms/dup?force=true", null).status()).isEqualTo(204);
        }
        assertNothingCreated();
    }

    @Test
    void unknownVmsAndEndpointsGetClearErrors() {
        var r = http.send("GET", "/v1/vms/nope", null);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.body()).contains("VM_NOT_FOUND").contains("kiln vm ls");
        assertThat(http.send("GET", "/v2/things", null).status()).isEqualTo(400);
    }

    @Test
    void metricsAreInPrometheusFormat() {
        var r = http.send("GET", "/metrics", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).contains("kiln_vms{phase=\"running\"}").contains("kiln_vm_boot_seconds");
    }

    @Test
    void aSecondDaemonOnTheSameSocketIsRefused() {
        assertThatThrownBy(() -> HostAgent.start(config)).isInstanceOf(HostException.class)
                .satisfies(e -> assertThat(((HostException) e).code()).isEqualTo(HostError.ALREADY_RUNNING));
    }

    @Test
    void aVmmThatDiesDuringBootIsReportedWithItsCauseAndLeavesNothing() throws Exception {
        Thread killer = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < 2000; i++) {
                List<Long> pids = TestHosts.qemuProcessesUnder(config.stateDir());
                if (!pids.isEmpty()) {
                    try {
                        Thread.sleep(1000); // let it get into the boot
                        new ProcessBuilder("kill", "-9", Long.toString(pids.get(0))).start().waitFor();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        var r = http.send("POST", "/v1/vms", "{\"name\":\"doomed\"}");
        killer.join(Duration.ofSeconds(30));
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.body()).contains("BOOT_FAILED").contains("the VMM ended during boot").contains("signal 9")
                .contains("last console lines");
        assertNothingCreated();
        assertThat(TestHosts.kilnLinks(config.bridge()).stream().filter(l -> l.startsWith("ktap-"))).isEmpty();
    }
}
