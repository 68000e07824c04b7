package dev.kiln.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln cp}: a file into or out of a container ({@code PUT}/{@code GET /v1/containers/{name}/files}). */
@Command(name = "cp", sortOptions = false, usageHelpAutoWidth = true,
        header = "Copy a file into or out of a container.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"One side is NAME:/absolute/path in a container, the other a host path ('-' for standard "
                + "input or output). Paths that would leave the container's root are refused by its guest agent.",
            "Copying in writes the file with --mode; its directory must exist in the container."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln cp web:/www/index.html ./index.html", "  kiln cp ./config.yaml web:/etc/app/config.yaml",
            "  kiln cp web:/etc/hostname -"})
final class CpCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "SRC", description = "NAME:/path or a host path.")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "NAME:/path or a host path.")
    String target;

    @Option(names = "--mode", paramLabel = "OCTAL", defaultValue = "0644",
            description = "Permissions of a file copied in. Default: ${DEFAULT-VALUE}.")
    String mode;

    @Override
    public Integer call() throws IOException {
        boolean out = isContainer(source);
        boolean in = isContainer(target);
        if (out == in) {
            throw new CliException("USAGE", "exactly one of SRC and DST must be NAME:/path in a container",
                    "e.g. kiln cp web:/etc/hostname ./hostname", ExitCodes.USAGE);
        }
        if (out) {
            String name = source.substring(0, source.indexOf(':'));
            String path = source.substring(source.indexOf(':') + 1);
            if (target.equals("-")) {
                OutputStream stdout = System.out;
                client().copyOut(name, path, stdout);
                stdout.flush();
            } else {
                Path tmp = Files.createTempFile(Path.of(target).toAbsolutePath().getParent(), ".kiln-cp-", ".tmp");
                try (OutputStream f = Files.newOutputStream(tmp)) {
                    client().copyOut(name, path, f);
                } catch (RuntimeException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, Path.of(target), StandardCopyOption.REPLACE_EXISTING);
            }
        } else {
            String name = target.substring(0, target.indexOf(':'));
            String path = target.substring(target.indexOf(':') + 1);
            Path file = source.equals("-") ? stdinToTemp() : Path.of(source);
            if (!Files.isRegularFile(file)) {
                throw new CliException("FILE_NOT_FOUND", "no file " + file, "check the path", ExitCodes.FILE_NOT_FOUND);
            }
            try {
                client().copyIn(name, file.toAbsolutePath(), path, mode);
            } finally {
                if (source.equals("-")) Files.deleteIfExists(file);
            }
        }
        return ExitCodes.OK;
    }

    /** {@code web:/etc/x}: a name, a colon, an absolute path (a host path like {@code ./a:b} is not one). */
    static boolean isContainer(String arg) {
        int colon = arg.indexOf(':');
        return colon > 0 && arg.startsWith("/", colon + 1) && !arg.substring(0, colon).contains("/");
    }

    private static Path stdinToTemp() throws IOException {
        Path tmp = Files.createTempFile("kiln-cp-", ".in");
        Files.copy(System.in, tmp, StandardCopyOption.REPLACE_EXISTING);
        return tmp;
    }
}
