package dev.kiln.cli;

import picocli.CommandLine.Command;

/** {@code kiln bench}: benchmarks that compare kiln against a baseline measured in the same run. */
@Command(name = "bench", usageHelpAutoWidth = true,
        header = "Benchmarks of kiln against a baseline measured in the same run.",
        descriptionHeading = "%nDescription:%n",
        description = {"Each benchmark alternates kiln and its baseline in one run and reports medians, so a noisy, "
                + "shared machine affects both alike. Method and figures: docs/BENCHMARKS.md."},
        commandListHeading = "%nCommands:%n",
        subcommands = {VmStartBench.class, IsolationBench.class, ContainerBench.class, ClusterHealBench.class,
            FunctionBenchCommand.class})
public final class BenchCommand extends KilnSubcommand {
    @Override
    public Integer call() {
        spec.commandLine().usage(out());
        return 0;
    }
}
