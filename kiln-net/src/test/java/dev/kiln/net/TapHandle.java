package dev.kiln.net;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Test-only: opens an existing tap the way a VMM does ({@code open("/dev/net/tun")} + {@code ioctl(TUNSETIFF)}),
 * through the FFM API, and reads and writes raw Ethernet frames on it. Plays the guest's side of the NIC.
 */
@SuppressWarnings("restricted")
final class TapHandle implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int O_NONBLOCK = 0x800;
    private static final long TUNSETIFF = 0x400454caL;
    private static final short IFF_TAP = 0x0002;
    private static final short IFF_NO_PI = 0x1000;
    private static final int IFREQ_SIZE = 40;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = libc("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(
            LINKER.defaultLookup().find("ioctl").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle READ = libc("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG));
    private static final MethodHandle WRITE = libc("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final MemorySegment readBuffer = arena.allocate(65536);
    private final MemorySegment writeBuffer = arena.allocate(65536);
    private final int fd;

    private TapHandle(int fd) {
        this.fd = fd;
    }

    static TapHandle open(String tapName) {
        try (Arena temp = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(temp.allocateFrom("/dev/net/tun"), O_RDWR | O_NONBLOCK);
            if (fd < 0) {
                throw new IllegalStateException("open /dev/net/tun failed");
            }
            MemorySegment ifreq = temp.allocate(IFREQ_SIZE);
            byte[] name = tapName.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifreq, JAVA_BYTE, 0, name.length);
            ifreq.set(JAVA_SHORT, 16, (short) (IFF_TAP | IFF_NO_PI));
            int rc = (int) IOCTL.invokeExact(fd, TUNSETIFF, ifreq);
            if (rc < 0) {
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IllegalStateException("TUNSETIFF on " + tapName + " failed");
            }
            return new TapHandle(fd);
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes one frame; returns false if the kernel refused it. */
    synchronized boolean write(byte[] frame) {
        MemorySegment.copy(frame, 0, writeBuffer, JAVA_BYTE, 0, frame.length);
        try {
            return (long) WRITE.invokeExact(fd, writeBuffer, (long) frame.length) == frame.length;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads one frame if one is queued (non-blocking). */
    synchronized Optional<byte[]> poll() {
        try {
            long n = (long) READ.invokeExact(fd, readBuffer, readBuffer.byteSize());
            return n <= 0 ? Optional.empty() : Optional.of(readBuffer.asSlice(0, n).toArray(
                    JAVA_BYTE));
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads one frame, waiting up to {@code timeout}. */
    Optional<byte[]> read(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<byte[]> frame = poll();
            if (frame.isPresent()) {
                return frame;
            }
            Thread.sleep(1);
        }
        return Optional.empty();
    }

    @Override
    public synchronized void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        } finally {
            arena.close();
        }
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
    }
}
