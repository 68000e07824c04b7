package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every kiln subcommand has: {@code -h}, its output streams, and the session's {@link Main}. */
abstract class KilnSubcommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    HelpOption helpOption;

    final Main root() {
        return (Main) spec.root().userObject();
    }

    final DaemonClient client() {
        return root().client();
    }

    final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    final void printJson(JsonNode node) {
        try {
            out().println(root().json().writeValueAsString(node));
        } catch (JsonProcessingException e) {
            throw new CliException("INTERNAL", "cannot write JSON: " + e.getMessage(), "", ExitCodes.FAILURE, e);
        }
        out().flush();
    }

    final void print(String text) {
        out().print(text);
        out().flush();
    }
}
