package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Guest isolation seen from inside real guests (QEMU, TCG): a guest's traffic from an address that is not its own
 * is dropped while its own passes; of the host it reaches the registry's port on the bridge address but not another
 * port the host serves there, and on the registry's port the function input store and Invoke refuse it (it is no
 * function slot); and a guest of another tenant cannot reach it. {@code GuestIsolationNetnsTest}
 * (kiln-net) covers the rules in detail without VMs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GuestIsolationVmTest {
    private static final String SPOOFED = ".250";

    private HostConfig config;
    private HostAgent agent;
    private ServerSocket hostService;

    @BeforeAll
    void start() {
        config = TestHosts.config(false);
        agent = HostAgent.start(config);
    }

    @AfterAll
    void stop() throws IOException {
        if (hostService != null) hostService.close();
        if (agent != null) agent.cleanupAndClose();
        if (config != null) TestHosts.deleteTree(config.stateDir());
    }

    @Test
    void aRealGuestSendsOnlyAsItselfReachesOnlyKilnsPortOfTheHostAndNoOtherTenant() throws Exception {
        String gateway = agent.network().config().subnet().gateway();
        hostService = new ServerSocket();
        hostService.bind(new InetSocketAddress(InetAddress.getByName(gateway), 0));
        int otherPort = hostService.getLocalPort();
        Thread.ofVirtual().start(() -> {
            while (!hostService.isClosed()) {
                try (Socket s = hostService.accept(); OutputStream out = s.getOutputStream()) {
                    out.write("HTTP/1.0 200 OK\r\n\r\nhost-service\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closed) {
                    return;
                }
            }
        });

        VmView a = agent.vms().create(VmCreateRequest.empty().named("iso-a").withTenant("team-a"), true);
        VmView b = agent.vms().create(VmCreateRequest.empty().named("iso-b").withTenant("team-b")
                .withEgress("deny"), true);
        assertThat(agent.network().policy(b.id())).hasValueSatisfying(p -> {
            assertThat(p.tenant()).isEqualTo("team-b");
            assertThat(p.egress()).isEqualTo(dev.kiln.net.GuestPolicy.Egress.DENY);
        });

        // its own address reaches the gateway; another address of the subnet, added in the guest, does not
        String spoofed = gateway.substring(0, gateway.lastIndexOf('.')) + SPOOFED;
        var own = agent.vms().exec("iso-a", "ping -c 2 -W 2 " + gateway + "; echo rc=$?", Duration.ofSeconds(30));
        assertThat(own.output()).as("ping from the guest's own address").contains("rc=0");
        var forged = agent.vms().exec("iso-a", "ip addr add " + spoofed + "/32 dev eth0 && ping -c 2 -W 2 -I "
                + spoofed + " " + gateway + "; echo rc=$?; ip addr del " + spoofed + "/32 dev eth0",
                Duration.ofSeconds(30));
        assertThat(forged.output()).as("ping from a spoofed address").contains("rc=1").doesNotContain("rc=0");

        // of the host: the registry's port answers, another port on the same address does not
        var registry = agent.vms().exec("iso-a", "timeout 5 wget -q -O - http://" + gateway + ":"
                + config.registryPort() + "/v2/; echo rc=$?", Duration.ofSeconds(30));
        assertThat(registry.output()).as("registry port").doesNotContain("rc=143");
        // on that port, the function input store and Invoke refuse a guest that is not a function slot
        Files.createDirectories(config.stateDir().resolve("objects/functionbench"));
        Files.writeString(config.stateDir().resolve("objects/functionbench/secret"), "slot input");
        var store = agent.vms().exec("iso-a", "wget -q -O - http://" + gateway + ":" + config.registryPort()
                + "/store/functionbench/secret 2>&1; echo rc=$?; echo x | wget -q -O - --post-file=- http://" + gateway
                + ":" + config.registryPort() + "/2015-03-31/functions/f/invocations 2>&1; echo rc=$?",
                Duration.ofSeconds(30));
        assertThat(store.output()).as("store and Invoke from a plain guest").doesNotContain("slot input")
                .contains("403").doesNotContain("rc=0");
        try (Socket fromHost = new Socket(gateway, otherPort)) {
            assertThat(new String(fromHost.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
                    .as("the host reaches its own service").contains("host-service");
        }
        var blocked = agent.vms().exec("iso-a", "timeout 5 wget -q -O - http://" + gateway + ":" + otherPort
                + "/; echo rc=$?", Duration.ofSeconds(30));
        assertThat(blocked.output()).as("another port of the host").doesNotContain("host-service")
                .contains("rc=143");

        // another tenant's guest is unreachable, while both still reach the gateway
        var crossTenant = agent.vms().exec("iso-b", "ping -c 2 -W 2 " + a.ip() + "; echo rc=$?",
                Duration.ofSeconds(30));
        assertThat(crossTenant.output()).as("team-b -> team-a").contains("rc=1");
        var gatewayFromB = agent.vms().exec("iso-b", "ping -c 2 -W 2 " + gateway + "; echo rc=$?",
                Duration.ofSeconds(30));
        assertThat(gatewayFromB.output()).as("team-b -> gateway").contains("rc=0");
    }
}
