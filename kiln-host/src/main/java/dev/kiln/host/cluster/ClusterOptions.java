package dev.kiln.host.cluster;

import dev.kiln.cluster.store.EtcdTls;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * How this daemon takes part in the cluster (the body of {@code POST /v1/cluster}; kept in
 * {@code STATE/cluster/cluster.json} so that a restarted daemon rejoins).
 *
 * @param etcd          endpoints of an existing etcd cluster; empty: start a single-member etcd of our own
 * @param etcdPort      client port of our own etcd (its peer port is the next one); default 2479
 * @param apiHost       the cluster API's address; default 127.0.0.1
 * @param apiPort       the cluster API's port; default 7070
 * @param hostName      this host's name in the cluster; default the machine's host name
 * @param cpuOvercommit vCPUs offered per host CPU (microVM vCPUs are threads; default 4)
 * @param warmPool      pre-booted microVMs kept ready per node profile, for new Nodes, at least (default 1; 0: none
 *                      unless demand asks, see {@code warmPoolMax})
 * @param advertise     the address other hosts reach this one at (the overlay's endpoint, the Host's address);
 *                      default the machine's address
 * @param functionPool  the most pre-booted function slot VMs per slot profile, sized from recent cold starts
 *                      (default 2; 0: every cold start boots, or restores a snapshot)
 * @param functionSnapshots whether a function's cold starts become clones of a snapshot of an initialized slot,
 *                      made after its first cold start (default true)
 * @param functionCpuShare whether a slot's VMM is limited to its memory size's CPU share (one CPU per 1,769 MB)
 *                      once its runtime has initialized (default true)
 * @param apiTokenFile  a file whose token becomes the cluster's API token (replacing the one in etcd, on every host
 *                      within seconds); default: keep the cluster's, or make one
 * @param lambdaCredentialsFile a file ({@code {"accessKeyId": ..., "secretAccessKey": ...}}) whose access key becomes
 *                      the one the cluster's Lambda API accepts; default: keep the cluster's, or make one
 * @param warmPoolMax   the most pre-booted node microVMs per profile: the pool keeps {@code warmPool} plus one for
 *                      each new Node of the profile in the last 5 minutes, up to this (default {@code warmPool}: a
 *                      fixed size)
 * @param etcdTls       how to reach the etcd cluster of {@code etcd} over TLS ({@code https://} endpoints): its
 *                      authority, and kiln's client certificate and key; not used with kiln's own etcd, which always
 *                      speaks TLS with certificates of its own ({@code STATE/cluster/etcd-pki})
 */
public record ClusterOptions(Optional<List<URI>> etcd, Optional<Integer> etcdPort, Optional<String> apiHost,
                             Optional<Integer> apiPort, Optional<String> hostName, Optional<Integer> cpuOvercommit,
                             Optional<Integer> warmPool, Optional<String> advertise, Optional<Integer> functionPool,
                             Optional<Boolean> functionSnapshots, Optional<Boolean> functionCpuShare,
                             Optional<String> apiTokenFile, Optional<String> lambdaCredentialsFile,
                             Optional<Integer> warmPoolMax, Optional<EtcdTls> etcdTls) {
    public static final int DEFAULT_FUNCTION_POOL = 2;
    public static final int DEFAULT_WARM_POOL = 1;
    public static final int DEFAULT_ETCD_PORT = 2479;
    public static final int DEFAULT_API_PORT = 7070;

    public ClusterOptions {
        etcd = orEmpty(etcd);
        etcdPort = orEmpty(etcdPort);
        apiHost = orEmpty(apiHost);
        apiPort = orEmpty(apiPort);
        hostName = orEmpty(hostName);
        cpuOvercommit = orEmpty(cpuOvercommit);
        warmPool = orEmpty(warmPool);
        advertise = orEmpty(advertise);
        functionPool = orEmpty(functionPool);
        functionSnapshots = orEmpty(functionSnapshots);
        functionCpuShare = orEmpty(functionCpuShare);
        apiTokenFile = orEmpty(apiTokenFile);
        lambdaCredentialsFile = orEmpty(lambdaCredentialsFile);
        warmPoolMax = orEmpty(warmPoolMax);
        etcdTls = orEmpty(etcdTls);
    }

    private static <T> Optional<T> orEmpty(Optional<T> o) {
        return o == null ? Optional.empty() : o;
    }

    public static ClusterOptions defaults() {
        return new ClusterOptions(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
    }

    public ClusterOptions withApiPort(int port) {
        return new ClusterOptions(etcd, etcdPort, apiHost, Optional.of(port), hostName, cpuOvercommit, warmPool, advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withEtcdPort(int port) {
        return new ClusterOptions(etcd, Optional.of(port), apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withEtcd(List<URI> endpoints) {
        return new ClusterOptions(Optional.of(endpoints), etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    /** The TLS files for the etcd cluster of {@link #etcd}. */
    public ClusterOptions withEtcdTls(EtcdTls tls) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax,
                Optional.of(tls));
    }

    public ClusterOptions withWarmPool(int size) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, Optional.of(size), advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    /** The most pre-booted node VMs per profile when recent demand asks for more than {@link #warmPool}. */
    public ClusterOptions withWarmPoolMax(int max) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile,
                Optional.of(max), etcdTls);
    }

    public ClusterOptions withAdvertise(String address) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool,
                Optional.of(address), functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withApiHost(String address) {
        return new ClusterOptions(etcd, etcdPort, Optional.of(address), apiPort, hostName, cpuOvercommit, warmPool,
                advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withHostName(String name) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, Optional.of(name), cpuOvercommit, warmPool, advertise, functionPool, functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withFunctionPool(int size) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                Optional.of(size), functionSnapshots, functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withFunctionSnapshots(boolean on) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, Optional.of(on), functionCpuShare, apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withFunctionCpuShare(boolean on) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, Optional.of(on), apiTokenFile, lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withApiTokenFile(String file) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, functionCpuShare, Optional.of(file), lambdaCredentialsFile, warmPoolMax, etcdTls);
    }

    public ClusterOptions withLambdaCredentialsFile(String file) {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, functionCpuShare, apiTokenFile, Optional.of(file), warmPoolMax, etcdTls);
    }

    /** These options without {@link #apiTokenFile} and {@link #lambdaCredentialsFile}, which act once, at the start. */
    public ClusterOptions withoutSecretFiles() {
        return new ClusterOptions(etcd, etcdPort, apiHost, apiPort, hostName, cpuOvercommit, warmPool, advertise,
                functionPool, functionSnapshots, functionCpuShare, Optional.empty(), Optional.empty(), warmPoolMax, etcdTls);
    }
}
