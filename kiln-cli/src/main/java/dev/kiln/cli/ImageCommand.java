package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln image}: the host's image store. */
@Command(name = "image", sortOptions = false, usageHelpAutoWidth = true,
        header = "Import, list, inspect and remove container images.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "The daemon keeps images in an OCI image layout under its state directory (images/), "
                + "content-addressed and verified, and serves them read-only to its guests over the OCI "
                + "distribution API on the bridge. No public registry is needed.",
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        subcommands = {ImageCommand.Build.class, ImageCommand.Import.class, ImageCommand.Ls.class, ImageCommand.Inspect.class, ImageCommand.Rm.class},
        footerHeading = "%nExamples:%n",
        footer = {"  kiln image build examples/images/busybox-httpd.yaml --tag httpd:1", "  kiln image import ./hello-oci/ --tag hello:1.0", "  kiln image import saved.tar",
            "  kiln image ls", "  kiln image rm hello:1.0"})
final class ImageCommand {
    @Mixin
    HelpOption helpOption;

    @Command(name = "import", sortOptions = false, usageHelpAutoWidth = true,
            header = "Import an OCI layout directory or a 'docker save' tarball.",
            synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Reads an OCI image layout (a directory, or a tar/tar.gz of one, which current 'docker save' "
                    + "writes) or a legacy 'docker save' archive. Every blob's digest and size is checked, and layers "
                    + "with paths that escape the root, device nodes or escaping hard links are refused. On any error "
                    + "the store is left as it was.",
            parameterListHeading = "%nArguments:%n",
            optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln image import ./hello-oci/ --tag hello:1.0", "  kiln image import saved.tar.gz"})
    static final class Import extends KilnSubcommand {
        @Parameters(index = "0", paramLabel = "PATH", description = "The directory or archive.")
        Path path;

        @Option(names = {"-t", "--tag"}, paramLabel = "NAME[:TAG]", description = "Also name the image (repeatable). Default: the names in the archive.")
        List<String> tags = new ArrayList<>();

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            JsonNode r = client().importImage(path.toAbsolutePath().normalize().toString(), tags);
            if (json.json) {
                printJson(r);
            } else {
                for (JsonNode img : r.path("images")) {
                    out().println("imported " + names(img) + " " + shortId(img.path("id").asText()) + " ("
                            + Sizes.human(img.path("size").asLong()) + ")");
                }
                out().println(r.path("blobsAdded").asInt() + " new blobs, " + Sizes.human(r.path("bytesAdded").asLong()));
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "build", sortOptions = false, usageHelpAutoWidth = true,
            header = "Build an image from a spec file, without Docker.",
            synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = {
                "The spec (YAML or JSON; unknown keys are errors) says what goes in the image's one layer:",
                "  suite: bookworm      a Debian base made by mmdebstrap (minbase), with 'packages' added;",
                "  suite: scratch       only the listed 'files' and 'links' (tiny, reproducible, no network);",
                "  java: {jar: app.jar} a runtime jlinked from kiln's JDK plus the jar (suite scratch).",
                "Then 'env', 'workdir', 'user', 'entrypoint' and 'cmd'. Relative file sources are relative to the "
                        + "spec file. The built image is imported like any other, with the same checks.",
                "See examples/images/ for specs."},
            parameterListHeading = "%nArguments:%n",
            optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln image build examples/images/busybox-httpd.yaml --tag httpd:1",
                "  kiln image build examples/images/python3.yaml --tag python3:1   (Debian packages; minutes)"})
    static final class Build extends KilnSubcommand {
        @Parameters(index = "0", paramLabel = "SPEC", description = "The build spec file.")
        Path spec;

        @Option(names = {"-t", "--tag"}, required = true, paramLabel = "NAME[:TAG]", description = "The image's name. Default: none; required.")
        String tag;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            if (!json.json) {
                err().println("Building " + tag + " from " + spec + " (a Debian base takes a minute or more) ...");
                err().flush();
            }
            JsonNode r = client().buildImage(spec.toAbsolutePath().normalize().toString(), tag);
            if (json.json) {
                printJson(r);
            } else {
                for (JsonNode img : r.path("images")) {
                    out().println("built " + names(img) + " " + shortId(img.path("id").asText()) + " ("
                            + Sizes.human(img.path("size").asLong()) + ")");
                }
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "ls", aliases = "list", sortOptions = false, usageHelpAutoWidth = true,
            header = "List images.", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Prints one line per image: its names, id (config digest), manifest digest and size as stored.",
            optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln image ls", "  kiln image ls --json | jq -r '.images[].references[]'"})
    static final class Ls extends KilnSubcommand {
        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            List<JsonNode> images = client().listImages();
            if (json.json) {
                ObjectNode body = root().json().createObjectNode();
                body.putArray("images").addAll(images);
                printJson(body);
                return ExitCodes.OK;
            }
            Table t = new Table("NAME", "ID", "DIGEST", "SIZE");
            for (JsonNode img : images) {
                t.row(names(img), shortId(img.path("id").asText()), shortId(img.path("digest").asText()),
                        Sizes.human(img.path("size").asLong()));
            }
            print(t.render());
            return ExitCodes.OK;
        }
    }

    @Command(name = "inspect", sortOptions = false, usageHelpAutoWidth = true,
            header = "Show an image's config and layers (JSON).", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Prints the image's digest, id, names, config (entrypoint, cmd, env, working directory, user, "
                    + "exposed ports) and layers with their sizes, as JSON.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln image inspect httpd:1", "  kiln image inspect 9ac5eb3e"})
    static final class Inspect extends KilnSubcommand {
        @Parameters(index = "0", paramLabel = "IMAGE", description = "NAME[:TAG], a digest or an id prefix.")
        String ref;

        @Override
        public Integer call() {
            printJson(client().inspectImage(ref));
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", sortOptions = false, usageHelpAutoWidth = true,
            header = "Remove an image name, or an image with all its names.",
            synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Removing NAME:TAG removes that name; the image goes when it has no names left. Removing by "
                    + "digest or id removes the image. Blobs no image needs any more are deleted.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln image rm httpd:1", "  kiln image rm sha256:5b6ef70b..."})
    static final class Rm extends KilnSubcommand {
        @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Images to remove.")
        List<String> refs;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            for (String ref : refs) {
                JsonNode r = client().removeImage(ref);
                if (json.json) {
                    printJson(r);
                } else {
                    out().println("removed " + ref + " (" + r.path("blobsDeleted").asInt() + " blobs, "
                            + Sizes.human(r.path("bytesFreed").asLong()) + " freed)");
                    out().flush();
                }
            }
            return ExitCodes.OK;
        }
    }

    private static String names(JsonNode img) {
        var out = new StringBuilder();
        img.path("references").forEach(r -> out.append(out.isEmpty() ? "" : ",").append(r.asText()));
        return out.isEmpty() ? "<none>" : out.toString();
    }

    private static String shortId(String digest) {
        String hex = digest.startsWith("sha256:") ? digest.substring(7) : digest;
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
