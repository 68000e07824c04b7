package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code kiln run}: {@code POST /v1/containers}. */
@Command(name = "run", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run a container in a microVM.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {
            "Runs an image from the host's image store (see 'kiln image') as a container under runc inside a "
                    + "microVM. Without --vm, a fresh microVM is booted for it and removed with it ('kiln rm'); with "
                    + "--vm the container runs in that running VM.",
            "",
            "The guest agent pulls the image from the daemon's registry on the bridge (layers it already has are "
                    + "kept), verifies every digest, and starts the container. By default kiln waits until it has "
                    + "started, then prints its name; with --attach it also prints the container's output until it "
                    + "exits and exits with its exit code.",
            "",
            "Anything after the image replaces the image's CMD; --entrypoint replaces its ENTRYPOINT."},
        parameterListHeading = "%nArguments:%n",
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln run -p 8080:80 --name web hello-httpd",
            "  kiln run --attach busybox -- echo hello",
            "  kiln run --memory 64M --cpus 0.5 -e MODE=fast --vm worker1 app:1.0",
            "  kiln run --disk /data/sets.img:ro -v /mnt/vdb:/data:ro app:1.0   (a shared read-only data drive)",
            "  kiln run --tenant team-a --egress deny app:1.0   (reaches only team-a's guests, nothing off the bridge)"})
final class RunCommand extends KilnSubcommand {
    @Parameters(index = "0", paramLabel = "IMAGE", description = "Image reference: NAME[:TAG], a digest, or an id prefix.")
    String image;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "ARG", description = "Replace the image's CMD.")
    List<String> args = new ArrayList<>();

    @Option(names = "--name", paramLabel = "NAME", description = "Container name. Default: the image name and 6 hex digits.")
    String name;

    @Option(names = "--vm", paramLabel = "VM", description = "Run in this running VM. Default: a fresh microVM, removed with the container.")
    String vm;

    @Option(names = {"-p", "--publish"}, paramLabel = "HOSTPORT:PORT",
            description = "Forward a host TCP port to the container's port (repeatable). Default: none.")
    List<String> ports = new ArrayList<>();

    @Option(names = {"-v", "--volume"}, paramLabel = "GUESTPATH:PATH[:ro]",
            description = "Bind a path of the VM's guest into the container (repeatable), e.g. a data disk: "
                    + "-v /mnt/vdb:/data:ro. Default: none.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--disk", paramLabel = "FILE[:ro]", converter = Converters.DiskConverter.class,
            description = "Attach a disk file to the fresh VM (repeatable); the guest mounts it at /mnt/vdb, /mnt/vdc, "
                    + "... A read-only disk can be shared by many VMs. Default: none.")
    List<DiskSpec> disks = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (repeatable). Default: the image's environment.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "Memory limit, e.g. 256M; OOM kills are reported. Default: none (the VM's memory).")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU quota in CPUs, e.g. 0.5. Default: no quota.")
    Double cpus;

    @Option(names = "--entrypoint", paramLabel = "CMD", split = " ", description = "Replace the image's ENTRYPOINT (words split at spaces). Default: the image's.")
    List<String> entrypoint;

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory in the container. Default: the image's.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "uid[:gid] or name[:group] from the image. Default: the image's user.")
    String user;

    @Option(names = "--restart", paramLabel = "POLICY", description = "no, always, on-failure or on-failure:N. Default: no.")
    String restart;

    @Option(names = "--read-only", description = "Mount the container's root file system read-only. Default: writable.")
    boolean readOnly;

    @Option(names = "--network", paramLabel = "MODE", description = "vm (the VM's network) or isolated (loopback only). Default: vm.")
    String network;

    @Option(names = "--vm-memory", paramLabel = "SIZE", description = "Memory of a fresh VM. Default: 512M, or the memory limit + 256M when that is more.")
    String vmMemory;

    @Option(names = "--vm-scratch", paramLabel = "SIZE", description = "Scratch disk of a fresh VM (sparse), "
            + "where the image is unpacked: give more for big images. Default: 4G.")
    String vmScratch;

    @Option(names = "--tenant", paramLabel = "NAME",
            description = "The fresh VM's tenant: on the bridge it reaches only guests of the same tenant, and guests of "
                    + "other tenants cannot reach it (1..63 of a-z, 0-9 and '-', starting and ending with a letter or "
                    + "digit). Not with --vm: a running VM has its tenant from 'kiln vm run'. Default: default.")
    String tenant;

    @Option(names = "--egress", paramLabel = "allow|deny",
            description = "Whether the fresh VM may reach anything off the bridge (the internet, the host's other "
                    + "networks). With deny the container still gets its image: kiln's guest ports on the bridge "
                    + "address stay reachable. Not with --vm. Default: allow.")
    String egress;

    @Option(names = {"-a", "--attach"}, description = "Print the container's output until it exits, and exit with its exit code. Default: print its name once it runs.")
    boolean attach;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = Converters.DurationConverter.class,
            description = {"How long booting, pulling and starting may take. Default: ${DEFAULT-VALUE}."})
    Duration timeout;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        ObjectNode req = root().json().createObjectNode().put("image", image);
        if (name != null) req.put("name", name);
        if (vm != null) req.put("vm", vm);
        if (!args.isEmpty()) args.forEach(req.putArray("args")::add);
        if (entrypoint != null) entrypoint.forEach(req.putArray("command")::add);
        if (!ports.isEmpty()) ports.forEach(req.putArray("ports")::add);
        if (!volumes.isEmpty()) volumes.forEach(req.putArray("volumes")::add);
        if (!disks.isEmpty()) {
            var arr = req.putArray("disks");
            disks.forEach(d -> arr.addObject().put("path", d.path().toAbsolutePath().normalize().toString()).put("readOnly", d.readOnly()));
        }
        if (!env.isEmpty()) {
            ObjectNode e = req.putObject("env");
            for (String kv : env) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new CliException("USAGE", "bad -e '" + kv + "'", "write -e KEY=VALUE", ExitCodes.USAGE);
                }
                e.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        if (memory != null) req.put("memory", memory);
        if (cpus != null) req.put("cpus", cpus);
        if (workdir != null) req.put("workdir", workdir);
        if (user != null) req.put("user", user);
        if (restart != null) req.put("restart", restart);
        if (readOnly) req.put("readOnly", true);
        if (network != null) req.put("network", network);
        if (vmMemory != null) req.put("vmMemory", vmMemory);
        if (vmScratch != null) req.put("vmScratch", vmScratch);
        if (tenant != null) req.put("tenant", tenant);
        if (egress != null) req.put("egress", egress);
        if (!json.json) {
            err().println(vm == null ? "Booting a microVM and starting " + image + " in it ..." : "Starting " + image + " in VM " + vm + " ...");
            err().flush();
        }
        JsonNode c = client().runContainer(req, timeout);
        String cname = c.path("name").asText();
        if (attach) {
            client().streamContainerLogs(cname, true, "both", this::print);
            JsonNode done = client().container(cname);
            if (json.json) printJson(done);
            if (done.path("oomKilled").asBoolean(false)) {
                err().println("kiln: container " + cname + " was killed: out of memory (limit " + memory + ")");
                err().flush();
            }
            return done.path("exitCode").asInt(0);
        }
        if (json.json) {
            printJson(c);
        } else {
            out().println(cname);
            out().flush();
        }
        return ExitCodes.OK;
    }
}
