package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code kiln} command: global options, the subcommand tree, and the one place where errors become exit codes
 * ({@link ErrorReporter} with {@link ExitCodes}). It owns the session's single {@link DaemonClient}, created on
 * first use and closed when the command ends.
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        sortOptions = false, usageHelpAutoWidth = true,
        headerHeading = "%n", header = "kiln: run microVMs on this host.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {
            "kiln boots small Linux virtual machines (microVMs) with QEMU (or, later, Firecracker). A host daemon "
                    + "('kiln daemon') owns the VMs, their taps, IP addresses and files; this command is its client "
                    + "and talks to it over a Unix socket. 'kiln doctor' checks that this host can run VMs.",
            "",
            "The options --socket and --state-dir may be given before or after the command: 'kiln --socket "
                    + "/tmp/k.sock vm ls' and 'kiln vm ls --socket /tmp/k.sock' are the same."},
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        subcommands = {RunCommand.class, PsCommand.class, LogsCommand.class, ExecCommand.class, CpCommand.class, StopCommand.class,
            RmCommand.class, ImageCommand.class, VmCommand.class, DoctorCommand.class, DaemonCommand.class,
            DemoCommand.class, BenchCommand.class, UpCommand.class, DownCommand.class, EtcdCertsCommand.class,
            ApplyCommand.class, GetCommand.class, DescribeCommand.class, DeleteCommand.class, ScaleCommand.class,
            FnCommand.class,
            HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            " 0:success",
            " 1:internal error, or a command that failed in an unclassified way",
            " 2:usage error: bad options or arguments, or a VM spec the daemon rejects",
            " 3:no such VM",
            " 4:conflict: the name is taken, or the VM is in the wrong phase for this",
            " 5:a file (e.g. a disk image) was not found",
            " 6:the VM failed to boot, or its VMM failed or died",
            " 7:this host lacks something (a VMM, /dev/net/tun, a tool); see 'kiln doctor'",
            " 8:timed out",
            "10:the daemon cannot be reached",
            "11:the cluster API refused the token (or none was found): see KILN_API_TOKEN below"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  kiln doctor                         check this host",
            "  kiln daemon                         run the host daemon in the foreground",
            "  kiln vm run --name web1             boot a VM and wait until it is ready",
            "  kiln vm ls                          list VMs",
            "  kiln vm exec web1 -- uname -a       run a command in a VM",
            "  kiln vm rm -f web1                  remove a VM, killing it first",
            "  kiln help vm run                    the help of a command",
            "",
            "",
            "Environment:",
            "  KILN_SOCKET, KILN_STATE_DIR         the defaults of --socket and --state-dir",
            "  KILN_API_TOKEN                      the bearer token of the API on port 7070 (kiln get/apply/fn/...);",
            "                                      default: the file STATE_DIR/api-token that 'kiln up' writes (0600)",
            "  KILN_DEBUG=1                        print the stack trace of an internal error"})
public final class Main implements AutoCloseable {
    @Option(names = "--socket", paramLabel = "PATH", scope = ScopeType.INHERIT, defaultValue = "${env:KILN_SOCKET:-/run/kiln/kiln.sock}",
            description = {"The daemon's Unix socket.",
                "Default: $KILN_SOCKET if set, else /run/kiln/kiln.sock (now: ${DEFAULT-VALUE})."})
    private Path socket;

    @Option(names = "--state-dir", paramLabel = "DIR", scope = ScopeType.INHERIT, defaultValue = "${env:KILN_STATE_DIR:-/var/lib/kiln}",
            description = {"Where kiln keeps VM files, the guest image cache and daemon.log.",
                "Default: $KILN_STATE_DIR if set, else /var/lib/kiln (now: ${DEFAULT-VALUE})."})
    private Path stateDir;

    private final Clock clock;
    private final Terminal terminal;
    private final ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private DaemonClient client;

    public Main() {
        this(Clock.systemUTC(), Terminal.detect());
    }

    public Main(Clock clock, Terminal terminal) {
        this.clock = clock;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        int exitCode;
        try (Main main = new Main()) {
            exitCode = main.commandLine().execute(args);
        }
        System.exit(exitCode);
    }

    /** The command tree with kiln's error handling; {@code execute(args)} on it runs a command line. */
    public CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(this);
        // directly over System.out, so that checkError() sees a closed pipe (e.g. 'kiln vm logs -f x | head')
        commandLine.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
        commandLine.setErr(new PrintWriter(System.err, true, StandardCharsets.UTF_8));
        ErrorReporter errors = new ErrorReporter(json, "1".equals(System.getenv("KILN_DEBUG")));
        commandLine.setExecutionExceptionHandler(errors::onExecutionException);
        commandLine.setParameterExceptionHandler(errors::onParameterException);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        return commandLine;
    }

    public Path socket() {
        return socket;
    }

    public Path stateDir() {
        return stateDir;
    }

    public Clock clock() {
        return clock;
    }

    public Terminal terminal() {
        return terminal;
    }

    /** The mapper commands print JSON with (indented). */
    public ObjectMapper json() {
        return json;
    }

    /** The session's client of the daemon on {@link #socket()}, created on first use. */
    public synchronized DaemonClient client() {
        if (client == null) {
            client = new DaemonClient(socket);
        }
        return client;
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
