package dev.kiln.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.EtcdPki;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kiln etcd-certs}: an authority and certificates for an etcd cluster that only kiln may use. */
@Command(name = "etcd-certs", sortOptions = false, usageHelpAutoWidth = true,
        header = "Make the certificates for an etcd cluster that only kiln may use.",
        synopsisHeading = "%nUsage: ",
        descriptionHeading = "%nDescription:%n",
        description = {"For a cluster of several hosts that share an etcd cluster of your own. Makes, in DIR (mode "
                + "0700), an authority (ca.crt, ca.key), one certificate for every etcd member, as server and peer, "
                + "valid for the given addresses and names plus 127.0.0.1 and localhost (member.crt, member.key), "
                + "and one client certificate for kiln (client.crt, client.key). Keys are ECDSA P-256, mode 0600; "
                + "certificates are valid for ten years.",
                "",
                "What exists is kept: run it again with more --name values and only the member certificate is made "
                        + "again, by the same authority, naming the old and the new ones. Start each member with the "
                        + "flags printed here, copy DIR to each host (root only), and give each daemon "
                        + "--etcd-cacert DIR/ca.crt --etcd-cert DIR/client.crt --etcd-key DIR/client.key with https:// "
                        + "endpoints. Whoever lacks client.key can then neither read nor change the cluster's state; "
                        + "kiln's own single-member etcd ('kiln up' without --etcd) does all this by itself."},
        optionListHeading = "%nOptions:%n",
        footerHeading = "%nExamples:%n",
        footer = {"  kiln etcd-certs --dir /etc/kiln/etcd-pki --name 10.0.0.5 --name 10.0.0.6 --name 10.0.0.7",
            "  kiln etcd-certs --dir pki --name etcd1.example.com --json"})
final class EtcdCertsCommand extends KilnSubcommand {
    @Option(names = "--dir", paramLabel = "DIR", required = true,
            description = "Where the authority and certificates go (made if missing, mode 0700). Required. "
                    + "Default: none.")
    Path dir;

    @Option(names = "--name", paramLabel = "ADDRESS|DNS-NAME",
            description = "An IP address or DNS name the etcd members are reached at; repeat for each. "
                    + "127.0.0.1 and localhost are always included. Default: only those two.")
    List<String> names = new ArrayList<>();

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        EtcdPki pki;
        try {
            pki = EtcdPki.ensure(dir, names);
        } catch (ClusterException e) {
            throw new CliException(e.code().name(), e.getMessage(), e.hint().orElse(""),
                    e.code() == dev.kiln.cluster.ClusterError.INVALID ? ExitCodes.USAGE : ExitCodes.FAILURE, e);
        }
        String memberFlags = "--cert-file " + pki.memberCert() + " --key-file " + pki.memberKey()
                + " --trusted-ca-file " + pki.caCert() + " --client-cert-auth --peer-cert-file " + pki.memberCert()
                + " --peer-key-file " + pki.memberKey() + " --peer-trusted-ca-file " + pki.caCert()
                + " --peer-client-cert-auth";
        String kilnFlags = "--etcd-cacert " + pki.caCert() + " --etcd-cert " + pki.clientCert() + " --etcd-key "
                + pki.clientKey();
        if (json.json) {
            ObjectNode node = JsonNodeFactory.instance.objectNode();
            node.put("directory", pki.directory().toString());
            node.put("caCert", pki.caCert().toString());
            node.put("memberCert", pki.memberCert().toString()).put("memberKey", pki.memberKey().toString());
            node.put("clientCert", pki.clientCert().toString()).put("clientKey", pki.clientKey().toString());
            node.put("etcdFlags", memberFlags).put("kilnFlags", kilnFlags);
            printJson(node);
        } else {
            out().println("etcd certificates in " + pki.directory());
            out().println("each etcd member (with https:// client and peer URLs):");
            out().println("  " + memberFlags);
            out().println("each kiln daemon (--join https://...) or 'kiln up --etcd https://...':");
            out().println("  " + kilnFlags);
            out().flush();
        }
        return ExitCodes.OK;
    }
}
