package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln fn}: functions, through kiln's Lambda-compatible API. */
@Command(name = "fn", sortOptions = false, usageHelpAutoWidth = true,
        header = "Create, list, inspect, invoke, update and remove functions (Lambda-compatible).",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = "Functions run in microVM slots that this host keeps warm: the first invocation boots a slot "
                + "VM (a cold start), later ones reuse it (warm); idle slots are removed after 5 minutes. kiln "
                + "serves AWS Lambda's API on the cluster API's port, so the AWS SDKs and CLI work too, with the "
                + "endpoint http://127.0.0.1:7070. Needs 'kiln up'. Python functions (python3.x) run in the image "
                + "python3-runtime:1: build it once with 'kiln image build examples/images/python3-runtime.yaml "
                + "--tag python3-runtime:1'.",
        optionListHeading = "%nOptions:%n",
        commandListHeading = "%nCommands:%n",
        subcommands = {FnCommand.Create.class, FnCommand.Ls.class, FnCommand.Inspect.class, FnCommand.Invoke.class,
            FnCommand.Update.class, FnCommand.Rm.class, FnCommand.Credentials.class},
        footerHeading = "%nExamples:%n",
        footer = {"  kiln fn create hello --runtime python3.11 --handler app.handler --code examples/functions/python",
            "  kiln fn invoke hello --payload '{\"name\": \"kiln\"}'", "  kiln fn ls",
            "  kiln fn credentials >> ~/.aws/credentials   (the access key AWS's SDKs and CLI sign with)",
            "  aws lambda invoke --endpoint-url http://127.0.0.1:7070 --profile kiln --function-name hello out.json"})
final class FnCommand {
    @Mixin
    HelpOption helpOption;

    /** What every {@code kiln fn} command has: the API's address and a client. */
    abstract static class FnSubcommand extends KilnSubcommand {
        @Option(names = "--server", paramLabel = "URL", defaultValue = "${env:KILN_SERVER:-http://127.0.0.1:7070}",
                description = "The API that 'kiln up' serves. Default: ${DEFAULT-VALUE} (env KILN_SERVER).")
        URI server;

        final LambdaHttp lambda() {
            return new LambdaHttp(server, root().json(), ApiSecrets.token(root().stateDir()));
        }

        static String path(String name) {
            return LambdaHttp.FUNCTIONS + "/" + URLEncoder.encode(name, StandardCharsets.UTF_8);
        }
    }

    /** The options create and update share. */
    static final class Config {
        @Option(names = "--runtime", paramLabel = "RUNTIME",
                description = "Lambda's runtime name: python3.x (kiln's own bootstrap) or provided.al2023 (the "
                        + "code's own executable 'bootstrap'). Default: python3.11 on create; unchanged on update.")
        String runtime;

        @Option(names = "--handler", paramLabel = "MODULE.FUNCTION",
                description = "The handler, e.g. app.handler for def handler(event, context) in app.py. "
                        + "Default: lambda_function.lambda_handler on create; unchanged on update.")
        String handler;

        @Option(names = "--code", paramLabel = "PATH",
                description = "The code: a directory (zipped as it is), a .zip file, or one source file. Default: "
                        + "none (required on create; on update, the code stays).")
        Path code;

        @Option(names = "--image-uri", paramLabel = "IMAGE",
                description = "Instead of --code: a container image (a tag in the host's image store) whose entrypoint "
                        + "speaks the Lambda Runtime API, e.g. examples/functions/shell/image.yaml built as "
                        + "shell-function:1. Default: none.")
        String imageUri;

        @Option(names = "--memory", paramLabel = "MB",
                description = "Memory, 128 to 10240 MB; the slot VM gets 384 MB more for its kernel and agent, "
                        + "and a vCPU per 1,769 MB begun. Default: 128 on create; unchanged on update.")
        Integer memory;

        @Option(names = "--timeout", paramLabel = "SECONDS",
                description = "How long one invocation may run, 1 to 900 s. Default: 3 on create; unchanged on update.")
        Integer timeout;

        @Option(names = "--env", paramLabel = "NAME=VALUE",
                description = "An environment variable of the function (repeatable; replaces all on update). "
                        + "Default: none.")
        Map<String, String> env;

        @Option(names = "--description", paramLabel = "TEXT", description = "A description. Default: empty.")
        String description;

        void fill(ObjectNode body) {
            if (runtime != null) {
                body.put("Runtime", runtime);
            }
            if (handler != null) {
                body.put("Handler", handler);
            }
            if (memory != null) {
                body.put("MemorySize", memory);
            }
            if (timeout != null) {
                body.put("Timeout", timeout);
            }
            if (description != null) {
                body.put("Description", description);
            }
            if (env != null) {
                ObjectNode vars = body.putObject("Environment").putObject("Variables");
                env.forEach(vars::put);
            }
        }
    }

    /** The code as a zip: a directory zipped, a zip as it is, one file zipped alone. */
    static byte[] zip(Path code) {
        if (!Files.exists(code)) {
            throw new CliException("FILE_NOT_FOUND", "no such file or directory: " + code,
                    "give a directory, a .zip or a source file", ExitCodes.FILE_NOT_FOUND);
        }
        try {
            if (Files.isRegularFile(code) && code.getFileName().toString().endsWith(".zip")) {
                return Files.readAllBytes(code);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
                List<Path> files;
                Path base;
                if (Files.isDirectory(code)) {
                    base = code;
                    try (Stream<Path> walk = Files.walk(code)) {
                        files = walk.filter(Files::isRegularFile).sorted().toList();
                    }
                } else {
                    base = code.toAbsolutePath().getParent();
                    files = List.of(code.toAbsolutePath());
                }
                for (Path f : files) {
                    String name = base.relativize(f).toString().replace('\\', '/');
                    if (name.contains("__pycache__")) {
                        continue;
                    }
                    zip.putNextEntry(new ZipEntry(name));
                    zip.write(Files.readAllBytes(f));
                    zip.closeEntry();
                }
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new CliException("FILE_NOT_FOUND", "cannot read the code at " + code + ": " + e.getMessage(), "",
                    ExitCodes.FILE_NOT_FOUND, e);
        }
    }

    @Command(name = "create", sortOptions = false, usageHelpAutoWidth = true, header = "Create a function.",
            synopsisHeading = "%nUsage: ", descriptionHeading = "%nDescription:%n",
            description = "Stores the function's code and configuration in the cluster's store (CreateFunction), "
                    + "where every host sees it. No slot starts until the first invocation, which runs on the "
                    + "function's home host.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln fn create hello --runtime python3.11 --handler app.handler --code examples/functions/python",
                "  kiln fn create big --code ./src --memory 1024 --timeout 60 --env MODE=fast",
                "  kiln fn create hello-sh --image-uri shell-function:1"})
    static final class Create extends FnSubcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The function's name (letters, digits, - and _).")
        String name;

        @Mixin
        Config config;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            if ((config.code == null) == (config.imageUri == null)) {
                throw new CliException("USAGE", "give either --code or --image-uri",
                        "kiln fn create NAME --code DIR|FILE.zip, or kiln fn create NAME --image-uri IMAGE",
                        ExitCodes.USAGE);
            }
            ObjectNode body = root().json().createObjectNode().put("FunctionName", name);
            if (config.imageUri != null) {
                body.put("PackageType", "Image");
                config.fill(body);
                body.putObject("Code").put("ImageUri", config.imageUri);
            } else {
                body.put("Runtime", "python3.11").put("Handler", "lambda_function.lambda_handler");
                config.fill(body);
                body.putObject("Code").put("ZipFile", Base64.getEncoder().encodeToString(zip(config.code)));
            }
            JsonNode created = lambda().sendJson("POST", LambdaHttp.FUNCTIONS, body);
            if (json.json) {
                printJson(created);
            } else {
                out().println("function " + name + " created (" + created.path("Runtime").asText("image") + ", "
                        + created.path("MemorySize").asInt() + " MB, " + created.path("CodeSize").asLong()
                        + " bytes of code)");
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "ls", sortOptions = false, usageHelpAutoWidth = true, header = "List functions.",
            synopsisHeading = "%nUsage: ", descriptionHeading = "%nDescription:%n",
            description = "Lists the cluster's functions (ListFunctions): runtime, handler, memory, timeout, code size, "
                    + "slots on the host asked (booting and initializing: a cold start's; idle; busy; draining: an "
                    + "older revision's slot finishing its invocation), whether cold starts are clones of a snapshot "
                    + "(SNAPSHOT: none, preparing, ready) and when each last changed.", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n", footer = {"  kiln fn ls", "  kiln fn ls --json"})
    static final class Ls extends FnSubcommand {
        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            JsonNode list = lambda().get(LambdaHttp.FUNCTIONS + "/");
            if (json.json) {
                printJson(list);
                return ExitCodes.OK;
            }
            Table t = new Table("NAME", "RUNTIME", "HANDLER", "MEMORY", "TIMEOUT", "CODE", "SLOTS", "SNAPSHOT",
                    "MODIFIED");
            for (JsonNode f : list.path("Functions")) {
                JsonNode s = f.path("KilnSlots");
                String slots = (s.path("booting").asInt() > 0 ? s.path("booting").asInt() + " booting, " : "")
                        + (s.path("initializing").asInt() > 0 ? s.path("initializing").asInt() + " initializing, " : "")
                        + s.path("idle").asInt() + " idle, " + s.path("busy").asInt() + " busy"
                        + (s.path("draining").asInt() > 0 ? ", " + s.path("draining").asInt() + " draining" : "");
                t.row(f.path("FunctionName").asText(), f.path("Runtime").asText("image"), f.path("Handler").asText(),
                        f.path("MemorySize").asInt() + " MB", f.path("Timeout").asInt() + " s",
                        Sizes.human(f.path("CodeSize").asLong()), slots, f.path("KilnSnapshot").asText("none"),
                        f.path("LastModified").asText());
            }
            print(t.render());
            return ExitCodes.OK;
        }
    }

    @Command(name = "inspect", sortOptions = false, usageHelpAutoWidth = true,
            header = "Show a function's configuration (JSON, as Lambda's GetFunction).", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Prints GetFunction's answer: the configuration (ARN, runtime, handler, memory, timeout, "
                    + "environment, code SHA-256, revision), where the code can be downloaded, and the reserved "
                    + "concurrency if any.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n", footer = {"  kiln fn inspect hello"})
    static final class Inspect extends FnSubcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The function's name or ARN.")
        String name;

        @Override
        public Integer call() {
            printJson(lambda().get(path(name)));
            return ExitCodes.OK;
        }
    }

    @Command(name = "invoke", sortOptions = false, usageHelpAutoWidth = true,
            header = "Invoke a function and print its result.", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Prints the function's result on stdout. On stderr: the slot that ran it, and for a cold "
                    + "start its phases (image disk, network, VMM start, kernel boot, agent ready, code ready, runtime "
                    + "start, runtime init, handler) in ms. A function error (an exception, a timeout) prints "
                    + "Lambda's error document on stdout and exits with 1. --async queues the event (Lambda's Event "
                    + "invocation) and returns at once.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln fn invoke hello --payload '{\"name\": \"kiln\"}'", "  kiln fn invoke hello --payload-file event.json",
                "  kiln fn invoke hello --async"})
    static final class Invoke extends FnSubcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The function's name or ARN.")
        String name;

        @Option(names = "--payload", paramLabel = "JSON", description = "The event. Default: {}.")
        String payload;

        @Option(names = "--payload-file", paramLabel = "FILE",
                description = "Read the event from a file. Default: none (--payload).")
        Path payloadFile;

        @Option(names = "--async",
                description = "Queue the invocation (Event) instead of waiting for its result. Default: wait.")
        boolean async;

        @Option(names = "--json",
                description = "Print one JSON object: result, functionError, slot, cold, phasesMs. Default: text.")
        boolean json;

        @Override
        public Integer call() {
            byte[] event;
            try {
                event = payloadFile != null ? Files.readAllBytes(payloadFile)
                        : (payload == null ? "{}" : payload).getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CliException("FILE_NOT_FOUND", "cannot read " + payloadFile + ": " + e.getMessage(), "",
                        ExitCodes.FILE_NOT_FOUND, e);
            }
            LambdaHttp.Answer a = lambda().send("POST", path(name) + "/invocations", event,
                    Map.of("X-Amz-Invocation-Type", async ? "Event" : "RequestResponse"), Duration.ofMinutes(16));
            if (async) {
                out().println("queued (HTTP " + a.status() + ")");
                out().flush();
                return ExitCodes.OK;
            }
            String result = new String(a.body(), StandardCharsets.UTF_8);
            String error = a.header("X-Amz-Function-Error");
            Map<String, String> phases = new LinkedHashMap<>();
            String raw = a.header("X-Kiln-Cold-Phases");
            if (raw != null) {
                for (String kv : raw.split(";")) {
                    String[] p = kv.split("=", 2);
                    if (p.length == 2) {
                        phases.put(p[0], p[1]);
                    }
                }
            }
            if (json) {
                ObjectNode o = root().json().createObjectNode();
                try {
                    o.set("result", root().json().readTree(result));
                } catch (IOException e) {
                    o.put("result", result);
                }
                o.put("functionError", error);
                o.put("slot", a.header("X-Kiln-Slot"));
                o.put("host", a.header("X-Kiln-Host"));
                o.put("cold", "true".equals(a.header("X-Kiln-Cold")));
                ObjectNode ph = o.putObject("phasesMs");
                phases.forEach((k, v) -> ph.put(k, Long.parseLong(v)));
                printJson(o);
            } else {
                out().println(result);
                out().flush();
                String where = "slot " + a.header("X-Kiln-Slot")
                        + (a.header("X-Kiln-Host") == null ? "" : " on host " + a.header("X-Kiln-Host"));
                err().println(raw == null ? "(warm, " + where + ")" : "(cold start, " + where + ": "
                        + String.join(", ", phases.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()
                        + " ms").toList()) + ")");
                if (error != null) {
                    err().println("function error (" + error + ")");
                }
                err().flush();
            }
            return error == null ? ExitCodes.OK : ExitCodes.FAILURE;
        }
    }

    @Command(name = "update", sortOptions = false, usageHelpAutoWidth = true,
            header = "Change a function's code or configuration.", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "With --code: UpdateFunctionCode; with any other option: UpdateFunctionConfiguration. "
                    + "Idle slots of the old version are removed at once; the next invocation starts a new one.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n",
            footer = {"  kiln fn update hello --code examples/functions/python", "  kiln fn update hello --memory 512"})
    static final class Update extends FnSubcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The function's name or ARN.")
        String name;

        @Mixin
        Config config;

        @Mixin
        JsonOption json;

        @Override
        public Integer call() {
            JsonNode last = null;
            if (config.code != null && config.imageUri != null) {
                throw new CliException("USAGE", "give --code or --image-uri, not both", "", ExitCodes.USAGE);
            }
            if (config.imageUri != null) {
                last = lambda().sendJson("PUT", path(name) + "/code", root().json().createObjectNode()
                        .put("ImageUri", config.imageUri));
            }
            if (config.code != null) {
                ObjectNode body = root().json().createObjectNode()
                        .put("ZipFile", Base64.getEncoder().encodeToString(zip(config.code)));
                last = lambda().sendJson("PUT", path(name) + "/code", body);
            }
            ObjectNode body = root().json().createObjectNode();
            config.fill(body);
            if (!body.isEmpty()) {
                last = lambda().sendJson("PUT", path(name) + "/configuration", body);
            }
            if (last == null) {
                throw new CliException("USAGE", "nothing to update", "give --code, --image-uri, --memory, --timeout, --env, "
                        + "--handler, --runtime or --description", ExitCodes.USAGE);
            }
            if (json.json) {
                printJson(last);
            } else {
                out().println("function " + name + " updated (" + last.path("MemorySize").asInt() + " MB, timeout "
                        + last.path("Timeout").asInt() + " s)");
                out().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(name = "rm", sortOptions = false, usageHelpAutoWidth = true,
            header = "Remove a function and its slots.", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = "Deletes the function's code and configuration (DeleteFunction) and removes its idle slot "
                    + "VMs; a slot still running an invocation is removed when that ends.",
            parameterListHeading = "%nArguments:%n", optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n", footer = {"  kiln fn rm hello"})
    static final class Rm extends FnSubcommand {
        @Parameters(index = "0", paramLabel = "NAME", description = "The function's name or ARN.")
        String name;

        @Override
        public Integer call() {
            lambda().send("DELETE", path(name), null, Map.of(), Duration.ofMinutes(2));
            out().println("function " + name + " removed");
            out().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "credentials", sortOptions = false, usageHelpAutoWidth = true,
            header = "Show the access key that the Lambda API accepts signatures from.", synopsisHeading = "%nUsage: ",
            descriptionHeading = "%nDescription:%n",
            description = {"kiln's Lambda API checks AWS Signature Version 4 (what AWS's SDKs and CLI send) against "
                    + "one access key, made when the cluster first starts and shared by all its hosts. The daemon keeps "
                    + "it in STATE_DIR/lambda-credentials (mode 0600, root only); this prints it as a profile for "
                    + "~/.aws/credentials, or as environment variables (--env), or as JSON (--json). Any region "
                    + "works. kiln's own commands use the API token instead (STATE_DIR/api-token or $KILN_API_TOKEN), "
                    + "which the Lambda API accepts too.",
                "Guests' calls through the bridge gateway (KILN_LAMBDA_URL) are not signed: any guest of this host "
                    + "may invoke any function."},
            optionListHeading = "%nOptions:%n",
            footerHeading = "%nExamples:%n", footer = {"  kiln fn credentials >> ~/.aws/credentials",
                "  eval \"$(kiln fn credentials --env)\"; aws lambda list-functions --endpoint-url http://127.0.0.1:7070",
                "  kiln fn credentials --json"})
    static final class Credentials extends KilnSubcommand {
        @Mixin
        JsonOption json;

        @Option(names = "--env", description = "Print shell assignments of AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY "
                + "and AWS_REGION instead of a profile. Default: a profile for ~/.aws/credentials.")
        boolean env;

        @Option(names = "--profile", paramLabel = "NAME", defaultValue = "kiln",
                description = "The profile's name. Default: ${DEFAULT-VALUE}.")
        String profile;

        @Override
        public Integer call() {
            dev.kiln.host.fn.LambdaCredentials c = ApiSecrets.lambda(root().stateDir());
            if (json.json) {
                printJson(root().json().createObjectNode().put("accessKeyId", c.accessKeyId())
                        .put("secretAccessKey", c.secretAccessKey()).put("region", "us-east-1")
                        .put("file", root().stateDir().resolve(dev.kiln.host.fn.LambdaCredentials.FILE).toString()));
            } else if (env) {
                print("export AWS_ACCESS_KEY_ID=" + c.accessKeyId() + "\nexport AWS_SECRET_ACCESS_KEY="
                        + c.secretAccessKey() + "\nexport AWS_REGION=us-east-1\n");
            } else {
                print("[" + profile + "]\naws_access_key_id = " + c.accessKeyId() + "\naws_secret_access_key = "
                        + c.secretAccessKey() + "\nregion = us-east-1\n");
            }
            return ExitCodes.OK;
        }
    }
}
