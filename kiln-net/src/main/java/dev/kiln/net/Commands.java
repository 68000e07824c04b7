package dev.kiln.net;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;

/** Host commands with kiln-net's error handling: a non-zero exit becomes a {@link NetException} with a hint. */
final class Commands {
    private final CommandRunner runner;
    private final ObjectMapper json;

    Commands(CommandRunner runner, ObjectMapper json) {
        this.runner = runner;
        this.json = json;
    }

    /** Runs and returns the outcome whatever the exit code (for checks that expect failures). */
    CommandRunner.CommandResult probe(String... argv) {
        return runner.run(List.of(argv), "");
    }

    /** Runs and returns stdout; throws {@link NetError#COMMAND_FAILED} on a non-zero exit. */
    String check(String... argv) {
        return checked(runner.run(List.of(argv), "")).stdout();
    }

    /** Runs with {@code stdin}; throws {@link NetError#COMMAND_FAILED} on a non-zero exit. */
    String checkWithInput(String stdin, String... argv) {
        return checked(runner.run(List.of(argv), stdin)).stdout();
    }

    /** Runs a command that prints JSON and parses it; empty output parses as an empty array. */
    JsonNode checkJson(String... argv) {
        return parse(List.of(argv), check(argv));
    }

    JsonNode parse(List<String> argv, String stdout) {
        if (stdout.isBlank()) {
            return json.createArrayNode();
        }
        try {
            return json.readTree(stdout);
        } catch (JsonProcessingException e) {
            throw new NetException(NetError.COMMAND_FAILED, "cannot parse the JSON output of a command: "
                    + e.getOriginalMessage(), "the tool's version may print a different format; run it by hand",
                    argv, "");
        }
    }

    static CommandRunner.CommandResult checked(CommandRunner.CommandResult result) {
        if (!result.ok()) {
            throw new NetException(NetError.COMMAND_FAILED, "command failed with exit code " + result.exitCode(),
                    Hints.forFailure(result.argv(), result.stderr()), result.argv(), result.stderr().strip());
        }
        return result;
    }
}
