package dev.kiln.cli;

import dev.kiln.host.HostAgent;
import dev.kiln.host.HostConfig;
import dev.kiln.host.HostException;
import dev.kiln.host.cluster.ClusterOptions;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kiln daemon}: the per-host agent in the foreground. */
@Command(name = "daemon", sortOptions = false, usageHelpAutoWidth = true,
        header = "Run the kiln host daemon (the per-host agent) in the foreground.",
        descriptionHeading = "%nDescription:%n",
        description = {
            "The daemon owns every microVM on this host: it builds the guest image on first use (kernel, initramfs "
                    + "and root file system from the host's packages, cached by content), probes whether KVM can "
                    + "really run a guest (else QEMU's TCG emulation is used), creates the bridge and nftables "
                    + "table, re-adopts VMs an earlier daemon left running, sweeps leftovers that have no owner, "
                    + "and serves the API (docs/API.md) on a root-only Unix socket.",
            "",
            "With --join the daemon becomes a member of a cluster of several hosts that share one etcd cluster: it "
                    + "registers its Host, runs a control-plane replica (only the elected leader acts) and the "
                    + "cluster API, and with --cluster-cidr links its bridge to the other hosts' by a VXLAN overlay. "
                    + "It takes the cluster's API token and Lambda access key from etcd (the first host put them "
                    + "there) into STATE/api-token and STATE/lambda-credentials (mode 0600), so kiln's commands on "
                    + "this host reach the API of any host.",
            "",
            "Ctrl-C or SIGTERM stops the daemon and leaves the VMs running; the next daemon re-adopts them. "
                    + "With --cleanup it instead removes every VM, the bridge, taps and the nftables table, and exits."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {
            "  kiln daemon                                  serve on /run/kiln/kiln.sock",
            "  kiln --state-dir /tmp/k --socket /tmp/k/s daemon --bridge kbr1 --subnet 10.88.0.0/24",
            "  kiln daemon --cleanup                        remove all VMs and kiln's networking, then exit",
            "  kiln daemon --subnet 10.90.2.0/24 --cluster-cidr 10.90.0.0/16 \\",
            "      --join https://10.0.0.5:2379,https://10.0.0.6:2379 --advertise 10.0.0.12 \\",
            "      --etcd-cacert pki/ca.crt --etcd-cert pki/client.crt --etcd-key pki/client.key   one host of many"})
public final class DaemonCommand extends KilnSubcommand {
    @Option(names = "--bridge", paramLabel = "NAME", defaultValue = "kiln0",
            description = "The Linux bridge the VMs' taps join. Default: ${DEFAULT-VALUE}.")
    String bridge;

    @Option(names = "--subnet", paramLabel = "CIDR", defaultValue = "10.77.0.0/24",
            description = "The VMs' subnet; the bridge takes its first address as the gateway. Default: ${DEFAULT-VALUE}.")
    String subnet;

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "A guest kernel (bzImage) to use instead of the newest /boot/vmlinuz-* with modules.")
    Path kernel;

    @Option(names = "--boot-timeout", paramLabel = "DURATION", defaultValue = "120s",
            description = "How long a VM may take from create to guest ready, unless a request says otherwise. "
                    + "Default: ${DEFAULT-VALUE}.")
    String bootTimeout;

    @Option(names = "--enable-fake-driver",
            description = "Also offer the fake driver (no hypervisor; for control-logic tests).")
    boolean fake;

    @Option(names = "--cluster-cidr", paramLabel = "CIDR",
            description = "Put the bridge on a cluster network spanning several hosts (e.g. 10.90.0.0/16): it and the "
                    + "guests use this prefix, guests still take addresses only from --subnet (this host's slice, "
                    + "e.g. 10.90.2.0/24), and a VXLAN overlay joins the hosts' bridges once the daemon is in the "
                    + "cluster. Default: none (a network of this host only).")
    String clusterCidr;

    @Option(names = "--join", paramLabel = "URL[,URL...]", split = ",",
            description = "Join the cluster whose etcd is at these endpoints as soon as the daemon runs (like "
                    + "'kiln up --etcd URL,...'). Membership is kept: a restarted daemon rejoins by itself. "
                    + "When another Ready host has the guest image this host would build (same inputs, same "
                    + "digest), it is copied from that host instead, every file checked against its sha256. A "
                    + "host with no kernel in /boot (or no busybox, JDK or runc) copies an image this kiln version "
                    + "can run from another host, and keeps it for its next start.")
    List<URI> join;

    @picocli.CommandLine.Mixin
    EtcdTlsOptions etcdTls;

    @Option(names = "--host-name", paramLabel = "NAME",
            description = "With --join: this host's name in the cluster. Default: the machine's host name.")
    String hostName;

    @Option(names = "--advertise", paramLabel = "ADDR",
            description = "With --join: the address the other hosts reach this one at (the overlay's endpoint). "
                    + "Default: the machine's address.")
    String advertise;

    @Option(names = "--api-host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "With --join: the address the cluster API listens on. Default: ${DEFAULT-VALUE}.")
    String apiHost;

    @Option(names = "--api-port", paramLabel = "PORT", defaultValue = "7070",
            description = "With --join: the cluster API's port. Default: ${DEFAULT-VALUE}.")
    int apiPort;

    @Option(names = "--warm-pool", paramLabel = "N", defaultValue = "1",
            description = "With --join: pre-booted microVMs kept ready per node profile. Default: ${DEFAULT-VALUE}.")
    int warmPool;

    @Option(names = "--warm-pool-max", paramLabel = "M",
            description = "With --join: let the warm pool grow with demand, up to M (see 'kiln up --help'). "
                    + "Default: --warm-pool (a fixed size).")
    Integer warmPoolMax;

    @Option(names = "--function-pool", paramLabel = "N", defaultValue = "2",
            description = "With --join: the most pre-booted function slot VMs per slot profile (sized from the "
                    + "profile's recent cold starts); 0 for none. Default: ${DEFAULT-VALUE}.")
    int functionPool;

    @Option(names = "--function-snapshots", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --join: after a function's first cold start, snapshot an initialized slot and start "
                    + "later cold starts as clones of it (--no-function-snapshots: always boot). Default: on.")
    boolean functionSnapshots;

    @Option(names = "--function-cpu-share", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --join: once a function slot's runtime has initialized, limit its VM to the CPU "
                    + "share of its memory size, as Lambda does (one CPU per 1,769 MB: 128 MB gets 7 %%), with a cgroup quota; "
                    + "--no-function-cpu-share: every slot may use its whole vCPUs. Default: on.")
    boolean functionCpuShare;

    @Option(names = "--guest-isolation", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Isolate guests on the bridge: each sends only from its own MAC and IP, reaches only guests "
                    + "of its tenant and, of the host, only kiln's guest ports (registry/gateway, bench iperf3), and "
                    + "its egress policy holds. --no-guest-isolation turns all of it off, for debugging only "
                    + "(the daemon warns). Default: on.")
    boolean guestIsolation;

    @Option(names = "--image-cache", paramLabel = "DIR",
            description = "Where the guest image (kernel, initramfs, root file system) is built and cached; several "
                    + "daemons on one machine may share one. Default: STATE_DIR/cache.")
    Path imageCache;

    @Option(names = "--cleanup",
            description = "Remove every VM and all of kiln's host networking (bridge, taps, nftables table), then exit.")
    boolean cleanup;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "With --join: make the token in FILE (at least 32 characters) the cluster's API token, on every host "
                    + "within seconds (STATE/api-token is written again). Default: keep the cluster's, or make one "
                    + "(256 random bits) at the first start.")
    java.nio.file.Path apiTokenFile;

    @Option(names = "--lambda-credentials-file", paramLabel = "FILE",
            description = "With --join: make the access key in FILE ({\"accessKeyId\": \"AKIA...\", \"secretAccessKey\": "
                    + "\"...\"}) the one the Lambda API accepts signatures from, on every host. Default: keep the "
                    + "cluster's, or make one at the first start ('kiln fn credentials' shows it).")
    java.nio.file.Path lambdaCredentialsFile;

    @Override
    public Integer call() throws InterruptedException {
        HostConfig config = HostConfig.defaults()
                .withStateDir(root().stateDir())
                .withSocket(root().socket())
                .withNetwork(bridge, subnet)
                .withKernel(Optional.ofNullable(kernel))
                .withFakeDriver(fake)
                .withBootTimeout(dev.kiln.host.Durations.parse(bootTimeout))
                .withClusterCidr(Optional.ofNullable(clusterCidr))
                .withGuestIsolation(guestIsolation);
        if (!guestIsolation && !cleanup) {
            err().println("WARNING: guest isolation is OFF (--no-guest-isolation): guests can spoof MAC and IP"
                    + " addresses, reach guests of other tenants and every service of this host on " + bridge
                    + ", and egress policies are not enforced. Use this only for debugging.");
        }
        if (imageCache != null) {
            config = config.withImageCache(imageCache.toAbsolutePath());
        }
        HostAgent agent;
        try {
            // a joining host takes the guest image from another host that has the same one, instead of building it
            List<dev.kiln.guest.GuestImageOffer> offers = join != null && !join.isEmpty() && !cleanup
                    ? dev.kiln.host.cluster.PeerGuestImages.offers(join, etcdTls.tls(), Optional.ofNullable(hostName))
                    : List.of();
            agent = HostAgent.start(config, dev.kiln.vmm.JailPolicy.fromEnvironment(), offers);
        } catch (HostException e) {
            throw new CliException(e.code().name(), e.getMessage(), e.hint(), e.code().exitCode(), e);
        }
        if (cleanup) {
            int n = agent.vms().list().size();
            agent.cleanupAndClose();
            err().println("removed " + n + " VM(s) and kiln's host networking on " + bridge);
            return 0;
        }
        if (join != null && !join.isEmpty()) {
            WarmPoolSize.check(warmPool, warmPoolMax);
            ClusterOptions options = ClusterOptions.defaults().withEtcd(join).withApiHost(apiHost).withApiPort(apiPort)
                    .withWarmPool(warmPool).withFunctionPool(functionPool).withFunctionSnapshots(functionSnapshots)
                    .withFunctionCpuShare(functionCpuShare);
            if (etcdTls.tls().isPresent()) {
                options = options.withEtcdTls(etcdTls.tls().get());
            } else if (join.stream().anyMatch(u -> "http".equalsIgnoreCase(u.getScheme()))) {
                err().println("WARNING: etcd at " + join + " without TLS: whoever reaches it can read the cluster's "
                        + "secrets and change its state (see 'kiln etcd-certs --help')");
            }
            if (warmPoolMax != null) {
                options = options.withWarmPoolMax(warmPoolMax);
            }
            if (hostName != null) {
                options = options.withHostName(hostName);
            }
            if (apiTokenFile != null) {
                options = options.withApiTokenFile(apiTokenFile.toAbsolutePath().toString());
            }
            if (lambdaCredentialsFile != null) {
                options = options.withLambdaCredentialsFile(lambdaCredentialsFile.toAbsolutePath().toString());
            }
            if (advertise != null) {
                options = options.withAdvertise(advertise);
            }
            try {
                var status = agent.cluster().up(options);
                err().println("joined the cluster as host " + status.host() + " (" + status.address() + "), etcd "
                        + status.etcd() + ", API " + status.api());
            } catch (HostException e) {
                agent.close();
                throw new CliException(e.code().name(), "cannot join the cluster: " + e.getMessage(), e.hint(),
                        e.code().exitCode(), e);
            }
        }
        Thread hook = new Thread(agent::close, "kiln-daemon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        agent.awaitShutdown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

}
