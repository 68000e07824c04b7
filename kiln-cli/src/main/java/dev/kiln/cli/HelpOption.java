package dev.kiln.cli;

import picocli.CommandLine.Option;

/** {@code -h/--help} for every subcommand ({@code -V/--version} is on {@code kiln} itself only). */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
}
