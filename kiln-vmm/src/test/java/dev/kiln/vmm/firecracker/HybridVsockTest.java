package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.vmm.VmmError;
import dev.kiln.vmm.VmmException;
import dev.kiln.vmm.firecracker.FakeVsockPeer.Behaviour;
import dev.kiln.vmm.firecracker.VsockException.Failure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hybrid vsock handshake against a fake Firecracker end on a real Unix socket. */
class HybridVsockTest {
    @TempDir
    Path tmp;

    private FakeVsockPeer peer;
    private Path uds;

    @BeforeEach
    void start() throws IOException {
        uds = tmp.resolve("v.sock");
        peer = FakeVsockPeer.start(uds, Map.of(52L, Behaviour.ECHO, 53L, Behaviour.CLOSE, 54L, Behaviour.SILENT,
                55L, Behaviour.GARBAGE, 56L, Behaviour.ENDLESS));
    }

    @AfterEach
    void stop() throws IOException {
        peer.close();
    }

    @Test
    void anAcceptedConnectionCarriesBytesBothWaysAndLosesNoneAfterTheHandshake() throws IOException {
        try (HybridVsock.Connection c = HybridVsock.connect(uds, 52, Duration.ofSeconds(2))) {
            assertThat(c.hostPort()).isEqualTo(FakeVsockPeer.HOST_PORT);
            byte[] greeting = c.input().readNBytes(FakeVsockPeer.GREETING.length());
            assertThat(new String(greeting, StandardCharsets.US_ASCII)).isEqualTo(FakeVsockPeer.GREETING);

            c.output().write("ping\n".getBytes(StandardCharsets.US_ASCII));
            c.output().flush();
            assertThat(new String(c.input().readNBytes(5), StandardCharsets.US_ASCII)).isEqualTo("ping\n");
            assertThat(c.channel().isBlocking()).isTrue();
        }
    }

    @Test
    void aClosedConnectionMeansNobodyListensInTheGuest() {
        assertFailure(() -> HybridVsock.connect(uds, 53, Duration.ofSeconds(2)), Failure.REFUSED,
                VmmError.INVALID_PHASE, "refused vsock port 53");
    }

    @Test
    void noAnswerTimesOut() {
        long start = System.nanoTime();
        assertFailure(() -> HybridVsock.connect(uds, 54, Duration.ofMillis(200)), Failure.TIMED_OUT, VmmError.TIMEOUT,
                "did not answer CONNECT 54 within PT0.2S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void anAnswerThatIsNotOkIsGarbage() {
        assertFailure(() -> HybridVsock.connect(uds, 55, Duration.ofSeconds(2)), Failure.GARBAGE, VmmError.QMP_ERROR,
                "'HTTP/1.1 400 Bad Request\\x0d'");
        assertFailure(() -> HybridVsock.connect(uds, 56, Duration.ofSeconds(2)), Failure.GARBAGE, VmmError.QMP_ERROR,
                "no line end");
    }

    @Test
    void noSocketMeansNoVsockDevice() {
        assertFailure(() -> HybridVsock.connect(tmp.resolve("none.sock"), 52, Duration.ofSeconds(1)), Failure.NO_SOCKET,
                VmmError.VMM_DIED, "none.sock");
    }

    @Test
    void portsOutsideU32AreRefusedBeforeConnecting() {
        assertThatThrownBy(() -> HybridVsock.connect(uds, -1, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC));
        assertThatThrownBy(() -> HybridVsock.connect(uds, 1L << 32, Duration.ofSeconds(1)))
                .isInstanceOfSatisfying(VmmException.class, e -> assertThat(e.code()).isEqualTo(VmmError.INVALID_SPEC));
    }

    private static void assertFailure(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, Failure failure,
            VmmError code, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(VsockException.class, e -> {
            assertThat(e.failure()).isEqualTo(failure);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(message);
            assertThat(e.hint()).isNotBlank();
        });
    }
}
