package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * A command that moves one VM to another phase and prints where it ended up ({@code web1 is paused}), or its
 * VmView with {@code --json}.
 */
abstract class VmPhaseCommand extends KilnSubcommand {
    @Parameters(paramLabel = "NAME", description = "The VM's name or id.")
    String name;

    @Mixin
    JsonOption json;

    /** Makes the API call; returns the VmView the daemon answered with. */
    abstract JsonNode act(DaemonClient client, String name);

    @Override
    public final Integer call() {
        JsonNode vm = act(client(), name);
        if (json.json) {
            printJson(vm);
        } else {
            String cause = vm.hasNonNull("cause") ? " (" + vm.get("cause").asText() + ")" : "";
            print(VmViews.text(vm, "name") + " is " + VmViews.text(vm, "phase") + cause + "\n");
        }
        return ExitCodes.OK;
    }
}
