package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class HelpAndUsageTest {
    /**
     * Command trees written elsewhere (daemon, demo, bench) and picocli's own help command: only checked for a help
     * that renders and names every option, not for the house style of descriptions, defaults and examples.
     */
    private static final Set<String> NOT_OURS = Set.of("kiln daemon", "kiln demo", "kiln bench", "kiln help");

    private static boolean ours(String qualifiedName) {
        return NOT_OURS.stream().noneMatch(n -> qualifiedName.equals(n) || qualifiedName.startsWith(n + " "));
    }

    static Stream<CommandLine> everyCommand() {
        List<CommandLine> all = new ArrayList<>();
        collect(new Main().commandLine(), all);
        return all.stream();
    }

    private static void collect(CommandLine cl, List<CommandLine> into) {
        into.add(cl);
        cl.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, into));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyCommand")
    void helpRendersAndExplainsEveryOption(CommandLine command) {
        String qualified = command.getCommandSpec().qualifiedName();
        List<String> args = new ArrayList<>(List.of(qualified.split(" ")).subList(1, qualified.split(" ").length));
        args.add("--help");
        // picocli formats help texts with String.format: a lone '%' is printed raw, with a warning on System.err
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        CliRunner.Result r;
        System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            r = CliRunner.run(args.toArray(String[]::new));
        } finally {
            System.setErr(stderr);
        }
        assertThat(warnings.toString(java.nio.charset.StandardCharsets.UTF_8)).as(qualified + ": a '%' in a help "
                + "text must be written '%%'").doesNotContain("picocli WARN");
        assertThat(r.exitCode()).as(qualified).isZero();
        assertThat(r.out()).contains("Usage: " + qualified);
        for (OptionSpec option : command.getCommandSpec().options()) {
            String shown = option.negatable() ? "--[no-]" + option.longestName().substring(2) : option.longestName();
            assertThat(r.out()).as(qualified + " mentions " + option.longestName()).contains(shown);
        }
        if (ours(qualified)) {
            assertThat(r.out()).as(qualified).contains("Description:", "Examples:", "kiln ");
            for (OptionSpec option : command.getCommandSpec().options()) {
                if (!option.usageHelp() && !option.versionHelp()) {
                    assertThat(String.join(" ", option.description())).as(qualified + " " + option.longestName())
                            .contains("Default");
                }
            }
        }
    }

    @Test
    void runHelpShowsDefaultsAndRateSyntax() {
        String help = CliRunner.run("vm", "run", "--help").out();
        assertThat(help).contains("Default: 1.", "Default: 256M.", "Default: 120s.", "Default: auto.",
                "auto, qemu, firecracker, fake", "rx=1M/1s", "ops:500/1s");
    }

    @Test
    void unknownFlagIsAUsageError() {
        CliRunner.Result r = CliRunner.run("vm", "ls", "--bogus");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("error: Unknown option: '--bogus'", "kiln vm ls --help");
    }

    @Test
    void unknownCommandIsAUsageError() {
        CliRunner.Result r = CliRunner.run("vm", "lss");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Did you mean", "ls");
    }

    @Test
    void badRateSpecIsAUsageErrorWithAnExample(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run(dir.resolve("none.sock"), "vm", "run", "--net-rate", "rx=1M");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--net-rate", "'rx=1M' is not a network rate limit", "e.g. rx=1M/1s");
    }

    @Test
    void aLimitGivenTwiceIsAUsageError(@TempDir Path dir) {
        CliRunner.Result r = CliRunner.run(dir.resolve("none.sock"), "vm", "run", "--net-rate", "1M/1s", "--net-rate", "rx=2M/1s");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("error: --net-rate sets the rx bandwidth limit twice", "hint: ");
    }

    @Test
    void badDurationAndSizeAreUsageErrors() {
        assertThat(CliRunner.run("vm", "run", "--boot-timeout", "soon").exitCode()).isEqualTo(2);
        assertThat(CliRunner.run("vm", "run", "--memory", "lots").exitCode()).isEqualTo(2);
        assertThat(CliRunner.run("vm", "run", "--driver", "xen").exitCode()).isEqualTo(2);
    }

    @Test
    void aCommandWithoutItsSubcommandShowsItsUsage() {
        CliRunner.Result r = CliRunner.run("vm");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Missing required subcommand", "Usage: kiln vm");
        assertThat(CliRunner.run().exitCode()).isEqualTo(2);
    }

    @Test
    void missingArgumentIsAUsageError() {
        assertThat(CliRunner.run("vm", "inspect").exitCode()).isEqualTo(2);
        assertThat(CliRunner.run("vm", "exec", "web1").exitCode()).isEqualTo(2);
    }

    @Test
    void version() {
        CliRunner.Result r = CliRunner.run("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("kiln ").contains("Java 25");
    }

    @Test
    void socketDefaultComesFromTheEnvironmentOrTheStandardPath() {
        String expected = System.getenv().getOrDefault("KILN_SOCKET", "/run/kiln/kiln.sock");
        assertThat(CliRunner.run("--help").out()).contains("(now: " + expected + ")");
    }

    @Test
    void aWarmPoolMaximumBelowItsFloorIsAUsageErrorBeforeAnyDaemonStarts(@TempDir Path dir) {
        Path socket = dir.resolve("kiln.sock");
        var r = CliRunner.run(socket, "--state-dir", dir.toString(), "up", "--warm-pool", "2", "--warm-pool-max", "1");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--warm-pool-max 1 is below --warm-pool 2").contains("at least 2");
        assertThat(socket).as("no daemon was started").doesNotExist();
        var negative = CliRunner.run(socket, "--state-dir", dir.toString(), "up", "--warm-pool", "-1");
        assertThat(negative.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(negative.err()).contains("--warm-pool must be 0 or more");
    }

    @Test
    void etcdTlsFilesThatDoNotFitAreUsageErrorsBeforeAnyDaemonStarts(@TempDir Path dir) {
        Path socket = dir.resolve("kiln.sock");
        var pki = CliRunner.run(socket, "--state-dir", dir.toString(), "etcd-certs", "--dir",
                dir.resolve("pki").toString(), "--name", "10.0.0.5", "--json");
        assertThat(pki.exitCode()).as(pki.err()).isZero();
        assertThat(pki.out()).contains("\"caCert\"", "--client-cert-auth", "--etcd-cacert");
        String ca = dir.resolve("pki/ca.crt").toString();

        var noKey = CliRunner.run(socket, "--state-dir", dir.toString(), "up", "--etcd", "https://10.0.0.5:2379",
                "--etcd-cacert", ca, "--etcd-cert", dir.resolve("pki/client.crt").toString());
        assertThat(noKey.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noKey.err()).contains("a certificate but no key");
        var missing = CliRunner.run(socket, "--state-dir", dir.toString(), "up", "--etcd", "https://10.0.0.5:2379",
                "--etcd-cacert", dir.resolve("pki/nope.crt").toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.err()).contains("no such file: " + dir.resolve("pki/nope.crt"));
        var ownEtcd = CliRunner.run(socket, "--state-dir", dir.toString(), "up", "--etcd-cacert", ca);
        assertThat(ownEtcd.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(ownEtcd.err()).contains("are for an etcd given with --etcd");
        assertThat(socket).as("no daemon was started").doesNotExist();

        var badName = CliRunner.run(socket, "etcd-certs", "--dir", dir.resolve("other").toString(), "--name", "a b");
        assertThat(badName.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(badName.err()).contains("'a b' is neither an IP address nor a DNS name");
    }
}
