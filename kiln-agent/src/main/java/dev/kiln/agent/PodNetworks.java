package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.PodNetworkRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The pods' own networks in the guest ({@code PUT} and {@code DELETE /v1/pods/{pod}/network}). A pod's network is a
 * network namespace named after the pod ({@code /var/run/netns/<pod>}, iproute2's place, on the guest's tmpfs) that
 * holds an ipvlan link in L2 mode on the VM's NIC, renamed {@code eth0}, with the pod's address and a default route
 * through the host's bridge. Its containers join that namespace ({@code NetworkMode.POD}), so they share one address
 * and {@code localhost}, as in a Kubernetes pod.
 *
 * <p>Why ipvlan: its links share the VM's MAC, so the host's bridge guard, which allows each tap one MAC, only has to
 * learn the pod's address as the tap's (the host adds it when it leases the address). ARP for the pod's address is
 * answered by the pod's link. In L2 mode the pods of one VM reach each other inside the guest, and everything else
 * (the host, other VMs, other hosts over the overlay) through the VM's NIC. The one thing a pod cannot reach is its
 * own VM's address: ipvlan does not pass traffic between a link and its parent.
 *
 * <p>Each pod's address is kept in {@code /run/kiln/pods/<pod>} beside its namespace, so a repeated {@code PUT} with
 * the same address is a no-op and one with another address a conflict, also after an agent restart. All commands
 * for one call run in one shell, and as few processes as can do it: under TCG each process start is costly.
 */
final class PodNetworks {
    /** iproute2's {@code ip}, where kiln-guest puts it ({@code GuestProtocol.IPROUTE}); busybox's cannot do this. */
    static final String IPROUTE = "/opt/kiln/bin/ip";
    /** Where iproute2 keeps named network namespaces ({@code /var/run} is {@code /run} in the guest). */
    static final Path NETNS_DIR = Path.of("/var/run/netns");
    /** The pods' recorded addresses. */
    static final Path RECORDS = Path.of("/run/kiln/pods");
    /** The VM's NIC, the ipvlan links' parent (the guest's init configures it). */
    static final String PARENT = "eth0";
    /** Pod names as the cluster makes them (a DNS label), at most 63 characters. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

    private final String ip;
    private final Path records;
    private final Path netnsDir;
    private final Function<List<String>, RootfsProvider.Command> shell;

    /** In the guest: iproute2 at {@link #IPROUTE}, records in {@link #RECORDS}. */
    PodNetworks() {
        this(IPROUTE, RECORDS, NETNS_DIR, RootfsProvider.Command::run);
    }

    PodNetworks(String ip, Path records, Path netnsDir, Function<List<String>, RootfsProvider.Command> shell) {
        this.ip = ip;
        this.records = records;
        this.netnsDir = netnsDir;
        this.shell = shell;
    }

    /** The namespace file a container of {@code pod} joins. */
    static Path namespaceFile(String pod) {
        return NETNS_DIR.resolve(pod);
    }

    static String requireName(String pod) {
        if (!NAME.matcher(pod).matches()) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "invalid pod name '" + pod
                    + "': use lower-case letters, digits, '-' and '.', at most 63, starting and ending alphanumeric");
        }
        return pod;
    }

    /**
     * The pod's temporary link name in the VM's namespace, before it moves into the pod's and becomes {@code eth0}:
     * {@code kp} and 8 hex digits of the name's SHA-256 (link names are at most 15 characters).
     */
    static String linkName(String pod) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256").digest(pod.getBytes(StandardCharsets.UTF_8));
            return "kp" + HexFormat.of().formatHex(hash, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes the pod's network; the same request again changes nothing. */
    synchronized void create(String pod, PodNetworkRequest request) {
        requireName(pod);
        Optional<String> recorded = recorded(pod);
        boolean exists = Files.exists(netnsDir.resolve(pod));
        if (exists && recorded.isPresent()) {
            if (recorded.get().equals(record(request))) {
                return;
            }
            throw new AgentException(AgentErrorCode.CONFLICT, "pod " + pod + " already has a network with "
                    + recorded.get().strip() + "; delete it first (DELETE /v1/pods/" + pod + "/network)");
        }
        if (exists) {
            remove(pod); // an earlier create that did not finish: start afresh
        }
        RootfsProvider.Command r = shell.apply(List.of("sh", "-c", createScript(pod, request)));
        if (r.exitCode() != 0) {
            shell.apply(List.of("sh", "-c", removeScript(pod)));
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot make the network of pod " + pod + " ("
                    + request.address() + "): " + r.output());
        }
        try {
            Files.createDirectories(records);
            Files.writeString(records.resolve(pod), record(request));
        } catch (IOException e) {
            shell.apply(List.of("sh", "-c", removeScript(pod)));
            throw new UncheckedIOException("cannot record the network of pod " + pod, e);
        }
        System.err.println("kiln-agent: pod " + pod + " has its network: " + request.address() + " via "
                + request.gateway());
    }

    /** Removes the pod's network (its namespace, and with it its link once no container is left in it); idempotent. */
    synchronized void remove(String pod) {
        requireName(pod);
        shell.apply(List.of("sh", "-c", removeScript(pod)));
        try {
            Files.deleteIfExists(records.resolve(pod));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the record of pod " + pod, e);
        }
    }

    /** Whether the pod has a network, for a container that wants to join it. */
    void requireExists(String pod) {
        if (!Files.exists(netnsDir.resolve(requireName(pod)))) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "pod " + pod + " has no network; make it first"
                    + " (PUT /v1/pods/" + pod + "/network)");
        }
    }

    private Optional<String> recorded(String pod) {
        try {
            Path file = records.resolve(pod);
            return Files.isRegularFile(file) ? Optional.of(Files.readString(file)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String record(PodNetworkRequest request) {
        return request.address() + " " + request.gateway() + "\n";
    }

    /**
     * The commands that make the network: two {@code ip -batch} runs, one in the VM's namespace and one in the pod's
     * ({@code -n}), since under TCG each process costs much more than its work (eight separate {@code ip} runs took
     * 0.6-5.8 s). The values were checked when the request was read (an address, a gateway, a DNS label), so they
     * need no quoting.
     */
    String createScript(String pod, PodNetworkRequest request) {
        String link = linkName(pod);
        return batch(ip + " -batch -", "netns add " + pod,
                "link add link " + PARENT + " name " + link + " type ipvlan mode l2",
                "link set " + link + " netns " + pod)
                + " && " + batch(ip + " -n " + pod + " -batch -", "link set " + link + " name eth0",
                "addr add " + request.address() + " dev eth0", "link set lo up", "link set eth0 up",
                "route add default via " + request.gateway());
    }

    private static String batch(String command, String... lines) {
        StringBuilder printf = new StringBuilder("printf '%s\\n'");
        for (String line : lines) {
            printf.append(" '").append(line).append("'");
        }
        return printf + " | " + command;
    }

    /** The commands that remove it; each may find its part gone already. */
    String removeScript(String pod) {
        return ip + " netns del " + pod + " 2>/dev/null; " + ip + " link del " + linkName(pod) + " 2>/dev/null; true";
    }
}
