package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Prints every error the same way and picks its exit code: {@code error: MESSAGE} and {@code hint: HINT} on
 * stderr, or with {@code --json} the API's error object ({@code {"error":{"code","message","hint"}}}) on stdout,
 * so that a script reading JSON always gets JSON.
 */
final class ErrorReporter {
    private final ObjectMapper json;
    private final boolean debug;

    ErrorReporter(ObjectMapper json, boolean debug) {
        this.json = json;
        this.debug = debug;
    }

    /** Reports an error a command raised; returns the exit code. */
    int onExecutionException(Exception e, CommandLine commandLine, ParseResult parseResult) {
        CliException error = e instanceof CliException c ? c
                : new CliException("INTERNAL", "internal error: " + e,
                        debug ? "" : "this is a bug in kiln; run with KILN_DEBUG=1 to see where it happened",
                        ExitCodes.FAILURE, e);
        if (debug && !(e instanceof CliException)) {
            e.printStackTrace(commandLine.getErr());
        }
        return report(error, wantsJson(parseResult), commandLine.getOut(), commandLine.getErr());
    }

    /** Reports a usage error (a bad option or argument): exit code 2. */
    int onParameterException(ParameterException e, String[] args) {
        CommandLine commandLine = e.getCommandLine();
        PrintWriter err = commandLine.getErr();
        err.println("error: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        if (!commandLine.getSubcommands().isEmpty() && e.getMessage().contains("Missing required subcommand")) {
            err.println();
            commandLine.usage(err);
        } else {
            err.println("hint: see '" + commandLine.getCommandSpec().qualifiedName() + " --help'");
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Prints one error; returns its exit code. */
    int report(CliException error, boolean asJson, PrintWriter out, PrintWriter err) {
        if (asJson) {
            ObjectNode body = json.createObjectNode();
            ObjectNode e = body.putObject("error").put("code", error.code()).put("message", error.getMessage());
            error.hint().ifPresent(h -> e.put("hint", h));
            out.println(body.toPrettyString());
            out.flush();
        } else {
            err.println("error: " + error.getMessage());
            error.hint().ifPresent(h -> err.println("hint: " + h));
            err.flush();
        }
        return error.exitCode();
    }

    /** Whether the innermost command given asked for JSON output. */
    static boolean wantsJson(ParseResult parseResult) {
        ParseResult innermost = parseResult;
        while (innermost.subcommand() != null) {
            innermost = innermost.subcommand();
        }
        return innermost.hasMatchedOption("--json");
    }
}
