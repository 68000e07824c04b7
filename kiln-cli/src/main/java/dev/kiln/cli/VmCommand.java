package dev.kiln.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code kiln vm}: the VM commands; on its own it prints its usage. */
@Command(name = "vm", sortOptions = false, usageHelpAutoWidth = true,
        header = "Create, list, inspect and control VMs.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Each command is one call to the kiln daemon's API (see docs/API.md); a VM is named by its name "
                + "or its id. The daemon must be running: start it with 'kiln daemon'.",
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        subcommands = {VmRunCommand.class, VmLsCommand.class, VmInspectCommand.class, VmLogsCommand.class,
            VmExecCommand.class, VmStatsCommand.class, VmPauseCommand.class, VmResumeCommand.class,
            VmStopCommand.class, VmKillCommand.class, VmRmCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  kiln vm run --name web1 --memory 512M",
            "  kiln vm ls -a",
            "  kiln vm logs -f web1",
            "  kiln vm stop web1 && kiln vm rm web1"})
final class VmCommand {
    @Mixin
    HelpOption helpOption;
}
