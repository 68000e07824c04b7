package dev.kiln.cli;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.EtcdTls;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** {@code --etcd-cacert}, {@code --etcd-cert}, {@code --etcd-key}: TLS to an etcd cluster that kiln did not start. */
final class EtcdTlsOptions {
    @Option(names = "--etcd-cacert", paramLabel = "FILE",
            description = "The authority (PEM) whose certificates etcd's members show; needed for https:// "
                    + "endpoints. 'kiln etcd-certs' makes one, with certificates for the members and for kiln. "
                    + "Default: none (plain http:// endpoints).")
    Path caFile;

    @Option(names = "--etcd-cert", paramLabel = "FILE",
            description = "The client certificate (PEM) kiln shows etcd, for an etcd started with "
                    + "--client-cert-auth (with --etcd-key). Default: none.")
    Path certFile;

    @Option(names = "--etcd-key", paramLabel = "FILE",
            description = "The client certificate's private key (PEM, unencrypted, mode 0600: a key that others may "
                    + "read is refused). Default: none.")
    Path keyFile;

    /** The files as absolute paths (the daemon reads them from its own working directory), each one read once. */
    Optional<EtcdTls> tls() {
        if (caFile == null && certFile == null && keyFile == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new EtcdTls(absolute(caFile), absolute(certFile), absolute(keyFile)).check());
        } catch (ClusterException e) {
            throw new CliException("INVALID", e.getMessage(), e.hint().orElse(""), ExitCodes.USAGE, e);
        }
    }

    private static String absolute(Path file) {
        return file == null ? null : file.toAbsolutePath().normalize().toString();
    }
}
