package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.api.SecretFile;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The certificates that make etcd refuse every client but kiln: a certificate authority of its own, one member
 * certificate (etcd's server and peer certificate, for the addresses its members listen on) and one client
 * certificate (kiln's), all signed by that authority. etcd runs with {@code --client-cert-auth} and
 * {@code --peer-client-cert-auth} against that authority only, so a client without kiln's key cannot even finish the
 * TLS handshake.
 *
 * <p>Files in the directory (mode 0700; keys 0600, PKCS#8 PEM; certificates PEM): {@value #CA_CERT},
 * {@value #CA_KEY}, {@value #MEMBER_CERT}, {@value #MEMBER_KEY}, {@value #CLIENT_CERT}, {@value #CLIENT_KEY}. Keys
 * are ECDSA P-256, certificates valid for {@link #VALIDITY}. {@link #ensure} keeps what exists and makes what is
 * missing; a member certificate that does not name every requested address is issued again by the same authority.
 */
public final class EtcdPki {
    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String MEMBER_CERT = "member.crt";
    public static final String MEMBER_KEY = "member.key";
    public static final String CLIENT_CERT = "client.crt";
    public static final String CLIENT_KEY = "client.key";
    /** Ten years: the authority is the cluster's, replaced by making a new directory (and restarting etcd). */
    public static final Duration VALIDITY = Duration.ofDays(3650);
    /** The names every member certificate carries besides the requested ones. */
    static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost");
    private static final String SIGNATURE = "SHA256withECDSA";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;

    private EtcdPki(Path dir) {
        this.dir = dir;
    }

    /**
     * The authority and certificates in {@code dir}, made where missing. {@code names} are the IP addresses and DNS
     * names etcd's members are reached at (loopback is always included).
     *
     * @throws ClusterException INVALID for a name that is neither an IP address nor a DNS name; UNAVAILABLE when the
     *                          directory cannot be written or a file in it cannot be read
     */
    public static EtcdPki ensure(Path dir, List<String> names) {
        Set<String> wanted = new LinkedHashSet<>(LOOPBACK);
        for (String name : names) {
            wanted.add(requireName(name));
        }
        EtcdPki pki = new EtcdPki(dir.toAbsolutePath().normalize());
        try {
            Files.createDirectories(pki.dir);
            Files.setPosixFilePermissions(pki.dir, PosixFilePermissions.fromString("rwx------"));
            boolean haveCa = Files.exists(pki.file(CA_CERT)) && Files.exists(pki.file(CA_KEY));
            if (!haveCa) {
                KeyPair ca = newKeyPair();
                X509Certificate caCert = certificate(new X500Name("CN=kiln etcd CA"), ca.getPublic(),
                        new X500Name("CN=kiln etcd CA"), ca.getPrivate(), null, Role.CA, Set.of());
                pki.writeKeyPair(CA_CERT, caCert, CA_KEY, ca.getPrivate());
                // a new authority makes every older certificate useless
                Files.deleteIfExists(pki.file(MEMBER_CERT));
                Files.deleteIfExists(pki.file(CLIENT_CERT));
            }
            X509Certificate caCert = EtcdTls.readCertificate(pki.file(CA_CERT));
            PrivateKey caKey = EtcdTls.readPrivateKey(pki.file(CA_KEY));
            if (!Files.exists(pki.file(MEMBER_CERT)) || !Files.exists(pki.file(MEMBER_KEY))
                    || !subjectNames(EtcdTls.readCertificate(pki.file(MEMBER_CERT))).containsAll(wanted)) {
                Set<String> all = new LinkedHashSet<>(wanted);
                if (Files.exists(pki.file(MEMBER_CERT))) {
                    all.addAll(subjectNames(EtcdTls.readCertificate(pki.file(MEMBER_CERT))));
                }
                KeyPair member = newKeyPair();
                pki.writeKeyPair(MEMBER_CERT, certificate(new X500Name("CN=kiln etcd member"), member.getPublic(),
                        X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), caKey, caCert,
                        Role.MEMBER, all), MEMBER_KEY, member.getPrivate());
            }
            if (!Files.exists(pki.file(CLIENT_CERT)) || !Files.exists(pki.file(CLIENT_KEY))) {
                KeyPair client = newKeyPair();
                pki.writeKeyPair(CLIENT_CERT, certificate(new X500Name("CN=kiln"), client.getPublic(),
                        X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), caKey, caCert,
                        Role.CLIENT, Set.of()), CLIENT_KEY, client.getPrivate());
            }
            return pki;
        } catch (IOException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot write etcd's certificates to " + dir + ": "
                    + e, "check that the state directory is writable by the daemon (root)", e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new ClusterException(ClusterError.UNAVAILABLE, "cannot make etcd's certificates in " + dir + ": "
                    + e, "remove " + dir + " to start over with a new authority", e);
        }
    }

    public Path directory() {
        return dir;
    }

    public Path caCert() {
        return file(CA_CERT);
    }

    public Path memberCert() {
        return file(MEMBER_CERT);
    }

    public Path memberKey() {
        return file(MEMBER_KEY);
    }

    public Path clientCert() {
        return file(CLIENT_CERT);
    }

    public Path clientKey() {
        return file(CLIENT_KEY);
    }

    /** What a client needs: the authority to trust and kiln's client certificate and key. */
    public EtcdTls clientTls() {
        return new EtcdTls(caCert().toString(), clientCert().toString(), clientKey().toString());
    }

    /** The IP addresses and DNS names a certificate is valid for (its subject alternative names). */
    static Set<String> subjectNames(X509Certificate cert) throws GeneralSecurityException {
        Set<String> names = new LinkedHashSet<>();
        if (cert.getSubjectAlternativeNames() != null) {
            for (List<?> entry : cert.getSubjectAlternativeNames()) {
                names.add(String.valueOf(entry.get(1)));
            }
        }
        return names;
    }

    private Path file(String name) {
        return dir.resolve(name);
    }

    private void writeKeyPair(String certName, X509Certificate cert, String keyName, PrivateKey key)
            throws IOException, GeneralSecurityException {
        SecretFile.write(file(keyName), pem("PRIVATE KEY", key.getEncoded()));
        Files.writeString(file(certName), pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private enum Role { CA, MEMBER, CLIENT }

    private static X509Certificate certificate(X500Name subject, PublicKey key, X500Name issuer, PrivateKey signer,
                                               X509Certificate issuerCert, Role role, Set<String> names)
            throws GeneralSecurityException, IOException, OperatorCreationException {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(127, RANDOM),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(VALIDITY)), subject, key);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
        if (issuerCert != null) {
            builder.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
        }
        switch (role) {
            case CA -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            }
            case MEMBER -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                // a member is a server to clients and peers, and a client to its peers
                builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                        new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
                List<GeneralName> alt = new ArrayList<>();
                for (String name : names) {
                    alt.add(new GeneralName(isIp(name) ? GeneralName.iPAddress : GeneralName.dNSName, name));
                }
                builder.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(alt.toArray(GeneralName[]::new)));
            }
            case CLIENT -> {
                builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
                builder.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            }
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder(SIGNATURE).build(signer)));
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return generator.generateKeyPair();
    }

    private static final java.util.regex.Pattern DNS_NAME =
            java.util.regex.Pattern.compile("(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private static String requireName(String name) {
        if (name != null && isIp(name)) {
            return InetAddress.ofLiteral(name).getHostAddress(); // as the certificate gives it back
        }
        if (name != null && DNS_NAME.matcher(name).matches()) {
            return name;
        }
        throw new ClusterException(ClusterError.INVALID, "'" + name + "' is neither an IP address nor a DNS name",
                "name each etcd member's address, e.g. 10.0.0.5 or etcd1.example.com");
    }

    private static boolean isIp(String name) {
        if (name.matches("[0-9.]+") || name.contains(":")) {
            try {
                return InetAddress.ofLiteral(name) != null;
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return false;
    }
}
