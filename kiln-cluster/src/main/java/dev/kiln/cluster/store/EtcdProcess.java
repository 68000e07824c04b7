package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-member etcd (Debian's {@code etcd-server}) that kiln starts on 127.0.0.1 and stops.
 *
 * <p>Started with an {@link EtcdPki}, it speaks only TLS ({@code https://}) on its client and peer ports and accepts
 * only clients (and peers) whose certificate that authority signed ({@code --client-cert-auth},
 * {@code --peer-client-cert-auth}): {@link #tls()} is what a client needs. Without one, plain HTTP and no
 * authentication (tests of the store itself).
 *
 * <p>The process is labelled by its data directory, which lives under kiln's state directory and appears on its
 * command line ({@link #running(Path)} finds it again, e.g. to sweep an orphan); its pid goes to
 * {@code DATA_DIR/../etcd.pid} and its output to {@code DATA_DIR/../etcd.log} unless another log file is given.
 * {@link #start} returns once etcd's {@code /health} answers, and fails with the log's last lines when etcd exits
 * early (naming the port when one is taken) or is not healthy within the start timeout.
 */
public final class EtcdProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdProcess.class);
    private static final String HOST = "127.0.0.1";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Pattern PORT_IN_USE = Pattern.compile(":(\\d+): bind: address already in use");
    private static final int TAIL_LINES = 20;

    private final Path binary;
    private final Path dataDir;
    private final Path logFile;
    private final Path pidFile;
    private final int clientPort;
    private final int peerPort;
    private final Duration startTimeout;
    private final Optional<EtcdPki> pki;
    private final EtcdHealth health;
    private Process process;

    private EtcdProcess(Path binary, Path dataDir, Path logFile, int clientPort, int peerPort, Duration startTimeout,
                        Optional<EtcdPki> pki) {
        this.pki = pki;
        this.health = new EtcdHealth(Duration.ofSeconds(1), pki.map(EtcdPki::clientTls));
        this.binary = binary;
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.pidFile = dataDir.resolveSibling("etcd.pid");
        this.clientPort = clientPort;
        this.peerPort = peerPort;
        this.startTimeout = startTimeout;
    }

    /** Starts etcd on {@code dataDir}, logging to {@code DATA_DIR/../etcd.log}. */
    public static EtcdProcess start(Path dataDir, int clientPort, int peerPort, Duration startTimeout) {
        Path dir = dataDir.toAbsolutePath().normalize();
        return start(dir, clientPort, peerPort, startTimeout, dir.resolveSibling("etcd.log"));
    }

    /** Starts etcd on {@code dataDir}, appending its output to {@code logFile}. */
    public static EtcdProcess start(Path dataDir, int clientPort, int peerPort, Duration startTimeout, Path logFile) {
        return start(dataDir, clientPort, peerPort, startTimeout, logFile, Optional.empty());
    }

    /**
     * Starts etcd on {@code dataDir}, appending its output to {@code logFile}; with {@code pki}, over TLS and for
     * holders of that authority's certificates only.
     */
    public static EtcdProcess start(Path dataDir, int clientPort, int peerPort, Duration startTimeout, Path logFile,
                                    Optional<EtcdPki> pki) {
        Objects.requireNonNull(pki, "pki");
        Path dir = dataDir.toAbsolutePath().normalize();
        if (dir.getParent() == null) {
            throw new ClusterException(ClusterError.INVALID, "the etcd data directory cannot be /");
        }
        requirePort(clientPort, "client");
        requirePort(peerPort, "peer");
        if (clientPort == peerPort) {
            throw new ClusterException(ClusterError.INVALID, "etcd's client and peer ports must differ, both are "
                    + clientPort);
        }
        Objects.requireNonNull(startTimeout, "startTimeout");
        Path binary = EtcdBinary.locate(Objects.requireNonNullElse(System.getenv("PATH"), ""), EtcdBinary.FALLBACKS);
        EtcdProcess etcd = new EtcdProcess(binary, dir, logFile.toAbsolutePath(), clientPort, peerPort, startTimeout,
                pki);
        etcd.launch();
        return etcd;
    }

    /** The client URL, {@code https://127.0.0.1:PORT} with TLS, else {@code http://127.0.0.1:PORT}. */
    public URI endpoint() {
        return URI.create(scheme() + "://" + HOST + ":" + clientPort);
    }

    /** What a client needs to reach this etcd: the authority and kiln's client certificate; empty without TLS. */
    public Optional<EtcdTls> tls() {
        return pki.map(EtcdPki::clientTls);
    }

    private String scheme() {
        return pki.isPresent() ? "https" : "http";
    }

    public synchronized long pid() {
        return process.pid();
    }

    public synchronized boolean isAlive() {
        return process.isAlive();
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    /** Stops etcd: SIGTERM, then SIGKILL if it has not exited within 10 s. Stopping a stopped etcd does nothing. */
    public synchronized void stop() {
        if (process.isAlive()) {
            process.destroy();
            if (!waitFor(STOP_TIMEOUT)) {
                LOG.warn("etcd (pid {}) did not stop within {}; killing it", process.pid(), STOP_TIMEOUT);
                process.destroyForcibly();
                waitFor(STOP_TIMEOUT);
            }
        }
        deletePidFile();
    }

    /** Kills etcd with SIGKILL, as a crash would; the pid file stays, as it would after a crash. For fault tests. */
    public synchronized void kill() {
        process.destroyForcibly();
        waitFor(STOP_TIMEOUT);
    }

    /** Stops etcd if it runs and starts it again with the same data directory, ports and log. */
    public synchronized void restart() {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    /** A port on 127.0.0.1 that nothing listens on right now (for tests). */
    public static int freePort() {
        return freePorts(1).getFirst();
    }

    /** {@code count} distinct ports on 127.0.0.1 that nothing listens on right now (for tests). */
    public static List<Integer> freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getByName(HOST)));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port", e);
        } finally {
            for (ServerSocket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing to do
                }
            }
        }
    }

    /** The running processes whose command line names {@code dataDir}: etcds that kiln started there. */
    public static List<ProcessHandle> running(Path dataDir) {
        String dir = dataDir.toAbsolutePath().normalize().toString();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> Arrays.asList(args).contains(dir)).orElse(false))
                .toList();
    }

    private synchronized void launch() {
        List<ProcessHandle> others = running(dataDir);
        if (!others.isEmpty()) {
            String tlsFlags = pki.map(p -> " --etcd-cacert " + p.caCert() + " --etcd-cert " + p.clientCert()
                    + " --etcd-key " + p.clientKey()).orElse("");
            throw new ClusterException(ClusterError.ALREADY_EXISTS, "an etcd (pid " + others.getFirst().pid()
                    + ") already runs on " + dataDir, "stop it, or use it with --etcd " + endpoint() + tlsFlags);
        }
        try {
            Files.createDirectories(dataDir.getParent());
            Files.createDirectories(logFile.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new ClusterException(ClusterError.INVALID, "cannot create " + dataDir.getParent() + ": " + e, e);
        }
        long logOffset = LogTail.size(logFile);
        ProcessBuilder builder = new ProcessBuilder(command())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(name -> name.startsWith("ETCD_")); // would clash with the flags
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot run " + binary + ": " + e.getMessage(),
                    EtcdBinary.HINT, e);
        }
        writePidFile();
        LOG.info("started etcd (pid {}) on {} with data in {}", process.pid(), endpoint(), dataDir);
        awaitHealthy(logOffset);
    }

    private List<String> command() {
        String client = scheme() + "://" + HOST + ":" + clientPort;
        String peer = scheme() + "://" + HOST + ":" + peerPort;
        List<String> command = new ArrayList<>(List.of(binary.toString(), "--name", "kiln",
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", client, "--advertise-client-urls", client,
                "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "kiln=" + peer));
        pki.ifPresent(p -> command.addAll(List.of(
                "--cert-file", p.memberCert().toString(), "--key-file", p.memberKey().toString(),
                "--trusted-ca-file", p.caCert().toString(), "--client-cert-auth",
                "--peer-cert-file", p.memberCert().toString(), "--peer-key-file", p.memberKey().toString(),
                "--peer-trusted-ca-file", p.caCert().toString(), "--peer-client-cert-auth")));
        return command;
    }

    private void awaitHealthy(long logOffset) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                deletePidFile();
                throw startFailure("exited with code " + process.exitValue(), logOffset);
            }
            if (health.isHealthy(endpoint())) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                process.destroyForcibly();
                waitFor(STOP_TIMEOUT);
                deletePidFile();
                throw startFailure("was not healthy within " + startTimeout, logOffset);
            }
            waitFor(POLL);
        }
    }

    private ClusterException startFailure(String what, long logOffset) {
        List<String> tail = LogTail.read(logFile, logOffset, TAIL_LINES);
        String cause = "";
        String hint = "see " + logFile;
        for (String line : tail) {
            Matcher m = PORT_IN_USE.matcher(line);
            if (m.find()) {
                int port = Integer.parseInt(m.group(1));
                String which = port == clientPort ? "client port " : port == peerPort ? "peer port " : "port ";
                cause = ": " + which + port + " on " + HOST + " is already in use";
                hint = "stop what listens on " + HOST + ":" + port + " (`ss -ltnp`), or choose another port";
            }
        }
        return new ClusterException(ClusterError.UNAVAILABLE, "etcd " + what + cause + "\n--- last lines of "
                + logFile + " ---\n" + String.join("\n", tail), hint);
    }

    private boolean waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private void writePidFile() {
        try {
            Files.writeString(pidFile, process.pid() + "\n");
        } catch (IOException e) {
            LOG.warn("cannot write {}: {}", pidFile, e.toString());
        }
    }

    private void deletePidFile() {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", pidFile, e.toString());
        }
    }

    private static void requirePort(int port, String which) {
        if (port < 1 || port > 65535) {
            throw new ClusterException(ClusterError.INVALID, "etcd's " + which + " port must be 1-65535, got " + port);
        }
    }

    @Override
    public String toString() {
        return "EtcdProcess[" + endpoint() + ", " + dataDir + "]";
    }
}
