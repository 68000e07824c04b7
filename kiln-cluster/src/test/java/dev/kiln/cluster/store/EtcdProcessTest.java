package dev.kiln.cluster.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting, labelling and stopping a real etcd, and the errors when it cannot start. */
class EtcdProcessTest {
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() {
        assertThat(EtcdProcess.running(dir.resolve("data"))).isEmpty();
    }

    @Test
    void startsHealthyWritesPidAndLogAndStopLeavesNothing() throws IOException {
        List<Integer> ports = EtcdProcess.freePorts(2);
        try (EtcdProcess etcd = EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1), START)) {
            assertThat(etcd.endpoint()).hasToString("http://127.0.0.1:" + ports.get(0));
            assertThat(Files.readString(dir.resolve("etcd.pid")).trim()).isEqualTo(Long.toString(etcd.pid()));
            assertThat(dir.resolve("etcd.log")).isNotEmptyFile();
            assertThat(EtcdProcess.running(dir.resolve("data"))).extracting(ProcessHandle::pid)
                    .containsExactly(etcd.pid());

            etcd.stop();

            assertThat(etcd.isAlive()).isFalse();
            assertThat(dir.resolve("etcd.pid")).doesNotExist();
        }
    }

    @Test
    void aSecondEtcdOnTheSameDataDirIsRefused() {
        List<Integer> ports = EtcdProcess.freePorts(4);
        try (EtcdProcess etcd = EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1), START)) {
            ClusterException e = catchThrowableOfType(ClusterException.class,
                    () -> EtcdProcess.start(dir.resolve("data"), ports.get(2), ports.get(3), START));

            assertThat(e.code()).isEqualTo(ClusterError.ALREADY_EXISTS);
            assertThat(e.getMessage()).contains("pid " + etcd.pid());
        }
    }

    @Test
    void aTakenClientPortIsNamed() throws IOException {
        List<Integer> ports = EtcdProcess.freePorts(2);
        try (ServerSocket _ = new ServerSocket(ports.get(0), 1, InetAddress.getByName("127.0.0.1"))) {
            ClusterException e = catchThrowableOfType(ClusterException.class,
                    () -> EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1), START));

            System.out.println(e.getMessage() + "\nhint: " + e.hint().orElse(""));
            assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
            assertThat(e.getMessage()).contains("client port " + ports.get(0) + " on 127.0.0.1 is already in use");
            assertThat(e.hint()).hasValueSatisfying(h -> assertThat(h).contains("127.0.0.1:" + ports.get(0)));
            assertThat(dir.resolve("etcd.pid")).doesNotExist();
        }
    }

    @Test
    void aTakenPeerPortIsNamed() throws IOException {
        List<Integer> ports = EtcdProcess.freePorts(2);
        try (ServerSocket _ = new ServerSocket(ports.get(1), 1, InetAddress.getByName("127.0.0.1"))) {
            ClusterException e = catchThrowableOfType(ClusterException.class,
                    () -> EtcdProcess.start(dir.resolve("data"), ports.get(0), ports.get(1), START));

            assertThat(e.getMessage()).contains("peer port " + ports.get(1) + " on 127.0.0.1 is already in use");
        }
    }

    @Test
    void aMissingBinaryComesWithTheInstallHint() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("bin"));

        ClusterException e = catchThrowableOfType(ClusterException.class,
                () -> EtcdBinary.locate(empty.toString(), List.of(dir.resolve("usr-bin"))));

        assertThat(e.code()).isEqualTo(ClusterError.UNAVAILABLE);
        assertThat(e.getMessage()).startsWith("etcd is not installed");
        assertThat(e.hint()).contains("apt-get install etcd-server");
        assertThat(EtcdBinary.locate("", EtcdBinary.FALLBACKS)).isEqualTo(Path.of("/usr/bin/etcd"));
    }

    @Test
    void badPortsAreInvalid() {
        ClusterException e = catchThrowableOfType(ClusterException.class,
                () -> EtcdProcess.start(dir.resolve("data"), 2379, 2379, START));

        assertThat(e.code()).isEqualTo(ClusterError.INVALID);
    }
}
