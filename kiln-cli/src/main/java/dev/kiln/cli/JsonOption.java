package dev.kiln.cli;

import picocli.CommandLine.Option;

/** {@code --json}: print the API's JSON object instead of text. */
final class JsonOption {
    @Option(names = "--json", description = {"Print JSON (the daemon API's objects, indented) instead of text. "
            + "An error is then printed on stdout too, as the API's error object with its code, message and hint.",
        "Default: text."})
    boolean json;
}
