package dev.kiln.net;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs every command inside a network namespace ({@code ip netns exec NS ...}), so a whole kiln network can be
 * built in a namespace that stands for a host. Results carry the command as the code under test issued it.
 */
record NetnsRunner(String namespace, CommandRunner real) implements CommandRunner {
    NetnsRunner(String namespace) {
        this(namespace, new ProcessCommandRunner(HostEnvironment.COMMAND_TIMEOUT));
    }

    @Override
    public CommandResult run(List<String> argv, String stdin) {
        var inNamespace = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        inNamespace.addAll(argv);
        CommandResult result = real.run(inNamespace, stdin);
        return new CommandResult(argv, result.exitCode(), result.stdout(), result.stderr());
    }
}
