package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln up}: the daemon joins the cluster (starting the daemon, and etcd, as needed). */
@Command(name = "up", sortOptions = false, usageHelpAutoWidth = true,
        header = "Start the cluster on this host.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"Starts the kiln daemon if it is not running, then makes it a member of the cluster: a "
                + "single-member etcd (Debian's etcd-server) with its data in STATE/cluster/etcd unless --etcd names an "
                + "existing etcd cluster (kiln's own etcd listens on 127.0.0.1 over TLS and lets in only clients with "
                + "a certificate of the authority in STATE/cluster/etcd-pki, root only; for an etcd of your own give "
                + "https:// endpoints and --etcd-cacert, --etcd-cert, --etcd-key), the cluster API on 127.0.0.1:7070, the control plane (node pools, "
                + "deployments, scheduling, node health) and this host's runtime, which boots a microVM for each Node "
                + "placed here (or takes a pre-booted one from its warm pool) and runs each Pod's containers in its "
                + "Node's microVM.",
                "The API on port 7070 needs a bearer token (all of it but GET /healthz): 256 random bits, made at the "
                        + "first 'kiln up' and kept in STATE/api-token (mode 0600, root only), where kiln's commands "
                        + "find it ($KILN_API_TOKEN overrides). Its Lambda routes also take AWS Signature Version 4 "
                        + "with the access key in STATE/lambda-credentials ('kiln fn credentials' prints it). The "
                        + "hosts of a cluster share both: the first host puts its own into etcd, the others take them "
                        + "from there into their state directories.",
                "Membership survives a daemon restart; 'kiln down' ends it. Then 'kiln apply -f examples/cluster/'."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln up", "  kiln up --etcd https://10.0.0.5:2379,https://10.0.0.6:2379 --etcd-cacert pki/ca.crt \\",
            "      --etcd-cert pki/client.crt --etcd-key pki/client.key", "  kiln up --api-port 7171 --json"})
final class UpCommand extends KilnSubcommand {
    @Option(names = "--etcd", paramLabel = "URL[,URL...]", split = ",",
            description = "Use this etcd cluster instead of starting one. Default: start a single-member etcd.")
    List<URI> etcd;

    @Option(names = "--etcd-port", paramLabel = "PORT", defaultValue = "2479",
            description = "Client port of kiln's own etcd (the peer port is the next one). Default: ${DEFAULT-VALUE}.")
    int etcdPort;

    @Option(names = "--api-port", paramLabel = "PORT", defaultValue = "7070",
            description = "Port of the cluster API on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
    int apiPort;

    @Option(names = "--warm-pool", paramLabel = "N", defaultValue = "1",
            description = "Pre-booted microVMs to keep ready per node profile, so that a new Node (a replacement) "
                    + "starts without waiting for a boot; 0 for none. Default: ${DEFAULT-VALUE}.")
    int warmPool;

    @Option(names = "--warm-pool-max", paramLabel = "M",
            description = "Let the warm pool grow with demand: it keeps --warm-pool VMs plus one for each new Node of "
                    + "the profile in the last 5 minutes (a pool scaled up, nodes replaced), at most M, and shrinks "
                    + "back when the demand has passed. Default: --warm-pool (a fixed size).")
    Integer warmPoolMax;

    @Option(names = "--function-pool", paramLabel = "N", defaultValue = "2",
            description = "The most pre-booted function slot VMs per slot profile (image, memory, vCPUs), sized from "
                    + "the profile's cold starts in the last 5 minutes; 0 for none. Default: ${DEFAULT-VALUE}.")
    int functionPool;

    @Option(names = "--function-snapshots", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "After a function's first cold start, boot a template slot, let its runtime initialize, "
                    + "snapshot it, and start later cold starts as clones of it (each with its own address, MAC, "
                    + "clock and entropy); --no-function-snapshots: always boot. Default: on.")
    boolean functionSnapshots;

    @Option(names = "--function-cpu-share", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Once a function slot's runtime has initialized, limit its VM to the CPU share of its "
                    + "memory size, as Lambda does (one CPU per 1,769 MB: 128 MB gets 7 %%), with a cgroup quota; "
                    + "--no-function-cpu-share: every slot may use its whole vCPUs. Default: on.")
    boolean functionCpuShare;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "Make the token in FILE (at least 32 characters) the cluster's API token, on every host "
                    + "within seconds (STATE/api-token is written again). Default: keep the cluster's, or make one "
                    + "(256 random bits) at the first start.")
    java.nio.file.Path apiTokenFile;

    @Option(names = "--lambda-credentials-file", paramLabel = "FILE",
            description = "Make the access key in FILE ({\"accessKeyId\": \"AKIA...\", \"secretAccessKey\": "
                    + "\"...\"}) the one the Lambda API accepts signatures from, on every host. Default: keep the "
                    + "cluster's, or make one at the first start ('kiln fn credentials' shows it).")
    java.nio.file.Path lambdaCredentialsFile;

    @Option(names = "--name", paramLabel = "HOST",
            description = "This host's name in the cluster. Default: the machine's host name.")
    String name;

    @Mixin
    EtcdTlsOptions etcdTls;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        WarmPoolSize.check(warmPool, warmPoolMax); // before a daemon is started for nothing
        Optional<dev.kiln.cluster.store.EtcdTls> tls = etcdTls.tls();
        if (tls.isPresent() && (etcd == null || etcd.isEmpty())) {
            throw new CliException("INVALID", "--etcd-cacert, --etcd-cert and --etcd-key are for an etcd given with "
                    + "--etcd", "kiln's own etcd uses certificates of its own (STATE/cluster/etcd-pki)",
                    ExitCodes.USAGE);
        }
        if (etcd != null && tls.isEmpty() && etcd.stream().anyMatch(u -> "http".equalsIgnoreCase(u.getScheme()))) {
            err().println("warning: etcd at " + etcd + " without TLS: whoever reaches it can read the cluster's "
                    + "secrets and change its state (see 'kiln etcd-certs --help')");
        }
        DaemonLauncher.ensureRunning(root().socket(), root().stateDir(), System.err);
        ObjectNode options = JsonNodeFactory.instance.objectNode();
        if (etcd != null && !etcd.isEmpty()) {
            etcd.forEach(u -> options.withArray("etcd").add(u.toString()));
        }
        tls.ifPresent(t -> {
            ObjectNode files = options.putObject("etcdTls").put("caFile", t.caFile());
            t.clientCertificate().ifPresent(c -> files.put("certFile", c).put("keyFile", t.keyFile()));
        });
        options.put("etcdPort", etcdPort);
        options.put("apiPort", apiPort);
        options.put("warmPool", warmPool);
        Optional.ofNullable(warmPoolMax).ifPresent(m -> options.put("warmPoolMax", m));
        options.put("functionPool", functionPool);
        options.put("functionSnapshots", functionSnapshots);
        options.put("functionCpuShare", functionCpuShare);
        Optional.ofNullable(name).ifPresent(n -> options.put("hostName", n));
        // absolute: the daemon reads them, from its own working directory
        Optional.ofNullable(apiTokenFile).ifPresent(f -> options.put("apiTokenFile", f.toAbsolutePath().toString()));
        Optional.ofNullable(lambdaCredentialsFile).ifPresent(f -> options.put("lambdaCredentialsFile",
                f.toAbsolutePath().toString()));
        if (!json.json) {
            err().println("joining the cluster (starting etcd and the cluster API)...");
            err().flush();
        }
        JsonNode status = client().clusterUp(options);
        if (json.json) {
            printJson(status);
        } else {
            out().println("cluster up: host " + status.path("host").asText() + ", API " + status.path("api").asText()
                    + ", etcd " + status.path("etcd").toString() + (status.path("ownEtcd").asBoolean()
                    ? " (started by kiln)" : ""));
            out().println("next: kiln apply -f examples/cluster/   then   kiln get pods -o wide");
        }
        out().flush();
        return ExitCodes.OK;
    }
}
