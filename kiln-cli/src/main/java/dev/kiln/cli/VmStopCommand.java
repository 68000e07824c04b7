package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln vm stop}: {@code POST /v1/vms/{name}/stop?timeout=..}. */
@Command(name = "stop", sortOptions = false, usageHelpAutoWidth = true,
        header = "Shut a VM down cleanly.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Presses the guest's ACPI power button: the guest stops its processes, unmounts its disks and "
                + "powers off. If it has not done so within --timeout, its VMM is killed. The VM then is stopped "
                + "and keeps its files until 'kiln vm rm'.",
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln vm stop web1", "  kiln vm stop --timeout 1m db"})
final class VmStopCommand extends VmPhaseCommand {
    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10s",
            converter = Converters.DurationConverter.class,
            description = {"How long the guest may take to power off before it is killed.", "Default: ${DEFAULT-VALUE}."})
    Duration timeout;

    @Override
    JsonNode act(DaemonClient client, String name) {
        return client.stop(name, timeout);
    }
}
