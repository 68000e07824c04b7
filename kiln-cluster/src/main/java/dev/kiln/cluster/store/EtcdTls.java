package dev.kiln.cluster.store;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * How kiln talks TLS to etcd: the authority whose certificates it trusts for etcd's members ({@code caFile}), and
 * the certificate and key it shows etcd ({@code certFile}, {@code keyFile}; both or neither, as etcd asks for one only
 * with {@code --client-cert-auth}). Files are PEM; keys PKCS#8, PKCS#1 (RSA) or SEC1 (EC). Serialised as part of
 * the cluster options, so that a restarted daemon rejoins the same way.
 */
public record EtcdTls(String caFile, String certFile, String keyFile) {
    public EtcdTls {
        if (caFile == null || caFile.isBlank()) {
            throw new ClusterException(ClusterError.INVALID, "etcd's TLS needs the authority's certificate",
                    "give --etcd-cacert FILE");
        }
        if (blank(certFile) != blank(keyFile)) {
            throw new ClusterException(ClusterError.INVALID, "etcd's client certificate and key go together; got "
                    + (blank(certFile) ? "a key but no certificate" : "a certificate but no key"),
                    "give both --etcd-cert FILE and --etcd-key FILE, or neither");
        }
        certFile = blank(certFile) ? null : certFile;
        keyFile = blank(keyFile) ? null : keyFile;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    public Optional<String> clientCertificate() {
        return Optional.ofNullable(certFile);
    }

    /**
     * Reads every file once, so that a missing or malformed one is named now rather than as a failed handshake.
     *
     * @throws ClusterException INVALID naming the file and what is wrong with it
     */
    public EtcdTls check() {
        authorities();
        if (certFile != null) {
            X509Certificate cert = readCertificates(Path.of(certFile)).getFirst();
            PrivateKey key = readPrivateKey(Path.of(keyFile));
            requireOwnerOnly(Path.of(keyFile));
            if (!belongTogether(cert, key)) {
                throw new ClusterException(ClusterError.INVALID, "the etcd client key " + keyFile + " does not "
                        + "belong to the certificate " + certFile, "give the key that was made with the certificate");
            }
        }
        return this;
    }

    /** Refuses a key that others than its owner may read (as ssh does): whoever reads it is kiln to etcd. */
    private static void requireOwnerOnly(Path key) {
        try {
            var mode = Files.getPosixFilePermissions(key);
            if (mode.contains(java.nio.file.attribute.PosixFilePermission.GROUP_READ)
                    || mode.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
                throw new ClusterException(ClusterError.INVALID, "the etcd client key " + key + " is readable by "
                        + "others (mode " + java.nio.file.attribute.PosixFilePermissions.toString(mode) + ")",
                        "chmod 600 " + key);
            }
        } catch (NoSuchFileException e) {
            throw new ClusterException(ClusterError.INVALID, "no such file: " + key, "check the path");
        } catch (IOException | UnsupportedOperationException e) {
            // no POSIX modes here: reading the key below says what is wrong, if anything
        }
    }

    /** Whether {@code key} signs what {@code cert}'s public key verifies (a signature over random bytes). */
    private static boolean belongTogether(X509Certificate cert, PrivateKey key) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null || !cert.getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            return algorithm == null; // a key type this check does not know: etcd's handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            new java.security.SecureRandom().nextBytes(probe);
            java.security.Signature signer = java.security.Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            java.security.Signature verifier = java.security.Signature.getInstance(algorithm);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Configures the TLS of jetcd's gRPC channel. */
    void configure(SslContextBuilder builder) {
        builder.trustManager(authorities());
        if (certFile != null) {
            builder.keyManager(readPrivateKey(Path.of(keyFile)), readCertificates(Path.of(certFile)));
        }
    }

    /** The same trust and key as a JDK {@link SSLContext} (for HTTP to etcd, e.g. its {@code /health}). */
    public SSLContext sslContext() {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            List<X509Certificate> cas = authorities();
            for (int i = 0; i < cas.size(); i++) {
                trust.setCertificateEntry("ca" + i, cas.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            KeyStore keys = KeyStore.getInstance(KeyStore.getDefaultType());
            keys.load(null, null);
            char[] none = new char[0];
            if (certFile != null) {
                keys.setKeyEntry("client", readPrivateKey(Path.of(keyFile)), none,
                        readCertificates(Path.of(certFile)).toArray(X509Certificate[]::new));
            }
            kmf.init(keys, none);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new ClusterException(ClusterError.INVALID, "cannot use etcd's TLS files: " + e, e);
        }
    }

    private List<X509Certificate> authorities() {
        return readCertificates(Path.of(caFile));
    }

    /** The first certificate of a PEM file. */
    static X509Certificate readCertificate(Path file) {
        return readCertificates(file).getFirst();
    }

    /** Every certificate of a PEM file (a chain, or several authorities). */
    static List<X509Certificate> readCertificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast).toList();
            if (certs.isEmpty()) {
                throw new ClusterException(ClusterError.INVALID, file + " holds no certificate",
                        "give a PEM file with a -----BEGIN CERTIFICATE----- block");
            }
            return certs;
        } catch (NoSuchFileException e) {
            throw new ClusterException(ClusterError.INVALID, "no such file: " + file, "check the path");
        } catch (IOException | GeneralSecurityException e) {
            throw new ClusterException(ClusterError.INVALID, "cannot read a certificate from " + file + ": "
                    + e.getMessage(), "give a PEM file with a -----BEGIN CERTIFICATE----- block");
        }
    }

    /** The private key of a PEM file: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not encrypted. */
    static PrivateKey readPrivateKey(Path file) {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            Object object = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (object instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (object instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new ClusterException(ClusterError.INVALID, file + " holds no unencrypted private key"
                    + (object == null ? "" : " (found " + object.getClass().getSimpleName() + ")"),
                    "give a PEM file with a -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY) block");
        } catch (NoSuchFileException e) {
            throw new ClusterException(ClusterError.INVALID, "no such file: " + file, "check the path");
        } catch (IOException e) {
            throw new ClusterException(ClusterError.INVALID, "cannot read a private key from " + file + ": "
                    + e.getMessage(), "run kiln as root: keys are readable by root only");
        }
    }
}
