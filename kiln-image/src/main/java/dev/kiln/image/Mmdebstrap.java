package dev.kiln.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The layer of a Debian image: {@code mmdebstrap --variant=minbase} writes the root file system as one tar (extra
 * packages with {@code --include}, files with {@code upload} hooks, links with {@code ln}, no device nodes with
 * {@code --skip=output/dev}). Needs root and the network.
 */
final class Mmdebstrap {
    private final Path tool;
    private final String mirror;
    private final Duration timeout;

    Mmdebstrap(Path tool, String mirror, Duration timeout) {
        this.tool = tool;
        this.mirror = mirror;
        this.timeout = timeout;
    }

    /** The command line (pure, for tests and for the build log). */
    List<String> command(BuildSpec spec, Path output) {
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "--variant=minbase", "--mode=root",
                "--format=tar", "--skip=output/dev", "--quiet"));
        if (!spec.packages().isEmpty()) {
            cmd.add("--include=" + String.join(",", spec.packages()));
        }
        for (BuildSpec.FileCopy file : spec.files()) {
            mkdirParent(cmd, file.target());
            cmd.add("--customize-hook=upload " + file.source() + " " + file.target());
            cmd.add("--customize-hook=chmod " + file.mode() + " \"$1" + file.target() + "\"");
        }
        // link texts and targets are of [A-Za-z0-9._+@/-] (BuildSpec checks), so they need no quoting
        for (BuildSpec.Link link : spec.links()) {
            mkdirParent(cmd, link.target());
            cmd.add("--customize-hook=ln -sfn -- " + link.to() + " \"$1" + link.target() + "\"");
        }
        spec.workdir().ifPresent(w -> cmd.add("--customize-hook=mkdir -p \"$1" + w + "\""));
        cmd.addAll(List.of(spec.suite(), output.toString(), "deb " + mirror + " " + spec.suite() + " main"));
        return cmd;
    }

    /** Runs mmdebstrap, writing the root file system to {@code output}. */
    void run(BuildSpec spec, Path output, Path log) {
        for (BuildSpec.FileCopy file : spec.files()) {
            if (file.source().toString().matches(".*\\s.*")) {
                throw new ImageException(ImageError.INVALID_BUILD_SPEC, "files: source " + file.source()
                        + " has white space, which mmdebstrap's upload hook cannot take");
            }
        }
        HostCommand.run(command(spec, output), log, timeout);
        if (!Files.isRegularFile(output)) {
            throw new ImageException(ImageError.BUILD_FAILED, "mmdebstrap exited with 0 but wrote no " + output);
        }
    }

    private static void mkdirParent(List<String> cmd, String target) {
        String dir = target.substring(0, target.lastIndexOf('/'));
        if (!dir.isEmpty()) {
            cmd.add("--customize-hook=mkdir -p \"$1" + dir + "\"");
        }
    }
}
