package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln ps}: {@code GET /v1/containers} as a table. */
@Command(name = "ps", sortOptions = false, usageHelpAutoWidth = true,
        header = "List containers.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Prints one line per container: NAME IMAGE STATE (with exit code or OOM kill) VM PORTS. Without "
                + "-a, exited containers are left out (they keep their logs until 'kiln rm').",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln ps", "  kiln ps -a --json"})
final class PsCommand extends KilnSubcommand {
    @Option(names = {"-a", "--all"}, description = "Also list containers that have exited. Default: only live ones.")
    boolean all;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        List<JsonNode> cs = client().listContainers().stream()
                .filter(c -> all || List.of("running", "created", "restarting", "unknown").contains(c.path("state").asText()))
                .toList();
        if (json.json) {
            ObjectNode body = root().json().createObjectNode();
            body.putArray("containers").addAll(cs);
            printJson(body);
            return ExitCodes.OK;
        }
        Table t = new Table("NAME", "IMAGE", "STATE", "VM", "IP", "PORTS");
        for (JsonNode c : cs) {
            t.row(c.path("name").asText(), c.path("image").asText(), state(c), c.path("vm").asText(),
                    c.path("vmIp").asText("-"), ports(c));
        }
        print(t.render());
        return ExitCodes.OK;
    }

    static String state(JsonNode c) {
        String s = c.path("state").asText();
        if (c.path("oomKilled").asBoolean(false)) return s + " (OOM killed)";
        if (c.hasNonNull("exitCode") && !s.equals("running")) return s + " (" + c.path("exitCode").asInt() + ")";
        return s;
    }

    private static String ports(JsonNode c) {
        var out = new StringBuilder();
        c.path("ports").forEach(p -> out.append(out.isEmpty() ? "" : ",").append(p.asText()));
        return out.isEmpty() ? "-" : out.toString();
    }
}
