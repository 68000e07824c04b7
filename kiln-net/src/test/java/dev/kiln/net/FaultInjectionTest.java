package dev.kiln.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failures injected into the host commands: attach must undo what it did; probes must fail before acting. */
class FaultInjectionTest {
    private static final NicLimits LIMITED = new NicLimits(
            RateLimiter.bandwidth(TokenBucket.of(100_000, Duration.ofMillis(100))),
            RateLimiter.bandwidth(TokenBucket.of(100_000, Duration.ofMillis(100))));

    /** Runs real commands, except that the first one matching the armed predicate fails. */
    static final class FaultyRunner implements CommandRunner {
        private final CommandRunner real = new ProcessCommandRunner(HostEnvironment.COMMAND_TIMEOUT);
        private final AtomicReference<Predicate<List<String>>> armed = new AtomicReference<>();
        final List<List<String>> executed = new ArrayList<>();

        void failNext(Predicate<List<String>> which) {
            armed.set(which);
        }

        @Override
        public synchronized CommandResult run(List<String> argv, String stdin) {
            Predicate<List<String>> fault = armed.get();
            if (fault != null && fault.test(argv)) {
                armed.set(null);
                return new CommandResult(argv, 2, "", "RTNETLINK answers: Operation not permitted (injected)");
            }
            executed.add(argv);
            return real.run(argv, stdin);
        }
    }

    private final TestHost host = new TestHost();
    private final FaultyRunner runner = new FaultyRunner();
    private final List<NetworkConfig> configs = new ArrayList<>();

    @TempDir
    Path stateDir;

    @AfterEach
    void cleanUp() {
        configs.forEach(host::forceCleanup);
    }

    private HostNetwork open() {
        NetworkConfig config = host.freshConfig(stateDir);
        configs.add(config);
        return DefaultHostNetwork.open(config, HostEnvironment.system().withRunner(runner));
    }

    @Test
    void failedAttachUndoesTapIfbAndLease() {
        HostNetwork network = open();
        String bridge = network.config().bridgeName();
        runner.failNext(argv -> argv.contains("tbf") && argv.stream().anyMatch(arg -> arg.startsWith("kifb-")));

        assertThatThrownBy(() -> network.attach("vm-a", LIMITED))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.COMMAND_FAILED);
                    assertThat(e.command()).contains("tbf");
                    assertThat(e.stderr()).contains("injected");
                    assertThat(e.hint()).contains("CAP_NET_ADMIN");
                });
        assertThat(host.kilnVmLinks(bridge)).isEmpty();
        assertThat(host.links.find(LinkLabel.tapName(bridge, "vm-a"))).isEmpty();
        assertThat(network.lookup("vm-a")).isEmpty();

        VmNetwork vm = network.attach("vm-a", LIMITED);
        assertThat(vm.address().address()).isEqualTo(network.config().subnet().addressAt(2));
    }

    @Test
    void failedReattachKeepsTheRunningVmsTapAndLease() {
        HostNetwork network = open();
        VmNetwork vm = network.attach("vm-a", NicLimits.none());
        runner.failNext(argv -> argv.contains("tbf"));

        assertThatThrownBy(() -> network.attach("vm-a", LIMITED)).isInstanceOf(NetException.class);
        assertThat(host.links.find(vm.tapName())).isPresent();
        assertThat(network.lookup("vm-a")).contains(vm);
    }

    @Test
    void failureWhileCreatingTheTapDeletesIt() {
        HostNetwork network = open();
        runner.failNext(argv -> argv.contains("master"));
        assertThatThrownBy(() -> network.attach("vm-a", NicLimits.none())).isInstanceOf(NetException.class);
        assertThat(host.links.find(LinkLabel.tapName(network.config().bridgeName(), "vm-a"))).isEmpty();
        assertThat(network.lookup("vm-a")).isEmpty();
    }

    @Test
    void steadyStateAttachRunsOnlyChecks() {
        HostNetwork network = open();
        network.attach("vm-a", LIMITED);
        runner.executed.clear();
        network.attach("vm-a", LIMITED);
        assertThat(runner.executed).allMatch(argv -> argv.contains("show") || argv.contains("list"),
                "only show/list commands: " + runner.executed);
    }

    @Test
    void missingTunDeviceFailsBeforeTouchingTheHost() {
        NetworkConfig config = host.freshConfig(stateDir);
        var env = new HostEnvironment(runner, Path.of("/nonexistent/net/tun"), Path.of("/proc/sys"));
        assertThatThrownBy(() -> DefaultHostNetwork.open(config, env))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.NO_TUN_DEVICE);
                    assertThat(e.hint()).contains("modprobe tun");
                });
        assertThat(runner.executed).isEmpty();
    }

    @Test
    void missingToolIsReportedWithAnInstallHint() {
        NetworkConfig config = host.freshConfig(stateDir);
        CommandRunner noNft = (argv, stdin) -> argv.getFirst().equals("nft")
                ? new ProcessCommandRunner(Duration.ofSeconds(5)).run(
                        List.of("/nonexistent/nft", argv.get(1)), stdin)
                : runner.run(argv, stdin);
        assertThatThrownBy(() -> DefaultHostNetwork.open(config, HostEnvironment.system().withRunner(noNft)))
                .isInstanceOfSatisfying(NetException.class, e -> {
                    assertThat(e.code()).isEqualTo(NetError.TOOL_MISSING);
                    assertThat(e.hint()).contains("apt-get install nftables");
                });
        assertThat(host.links.find(config.bridgeName())).isEmpty();
    }
}
