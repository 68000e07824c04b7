package dev.kiln.agent;

import dev.kiln.api.agent.GuestIdentityChange;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.io.OutputStream;
import java.util.HexFormat;
import java.util.List;

/**
 * Gives a guest restored from a snapshot its own identity ({@code POST /v1/identity}): the answer goes out first,
 * from the old address, then the NIC takes the new MAC and address, the default route is set again, the clock is set
 * from the host's and the kernel's random generator is reseeded with the host's entropy. The host then finds the
 * agent at the new address. Busybox's {@code ip}, {@code arping} and {@code date} do the work, as the guest's init does at boot.
 */
final class Identity {
    /** The guest's NIC (kiln-init.sh configures the same one). */
    static final String NIC = "eth0";
    /** How long the answer has to leave before the address changes. */
    static final long SETTLE_MILLIS = 200;
    private static final int O_WRONLY = 1;
    /** {@code _IOW('R', 0x03, int[2])} and {@code _IO('R', 0x07)} from linux/random.h. */
    private static final long RNDADDENTROPY = 0x40085203L;
    private static final long RNDRESEEDCRNG = 0x5207L;

    private Identity() {
    }

    static void applyLater(GuestIdentityChange change) {
        Thread.ofPlatform().daemon().name("kiln-identity").start(() -> {
            try {
                Thread.sleep(SETTLE_MILLIS);
                apply(change);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    static void apply(GuestIdentityChange c) {
        entropy(c.entropyHex());
        String ip = c.address().substring(0, c.address().indexOf('/'));
        // one shell for all of it: under TCG each process the JVM spawns costs tens of milliseconds. The values
        // were checked when the request was read (an address, a MAC, a gateway), so they need no quoting.
        String script = String.join(" && ",
                "date -u -s @" + c.epochMillis() / 1000 + " >/dev/null",
                "ip link set dev " + NIC + " down",
                "ip link set dev " + NIC + " address " + c.mac(),
                "ip addr flush dev " + NIC,
                "ip addr add " + c.address() + " dev " + NIC,
                "ip link set dev " + NIC + " up",
                "ip route replace default via " + c.gateway(),
                "{ arping -U -c 1 -I " + NIC + " " + ip + " >/dev/null 2>&1 & }");
        run(List.of("sh", "-c", script));
        System.err.println("kiln-agent: took the identity " + c.address() + " " + c.mac() + " (restored from a"
                + " snapshot)");
    }

    /**
     * Credits the host's random bytes to the kernel's pool and reseeds its generator at once ({@code RNDADDENTROPY},
     * then {@code RNDRESEEDCRNG}, ioctls on {@code /dev/urandom}, through Java's foreign function API). A plain write
     * to {@code /dev/urandom} would only mix them in: the clone's generator would keep the template's key until its
     * next scheduled reseed, and every clone of one snapshot would hand out the same "random" bytes meanwhile.
     */
    private static void entropy(String hex) {
        byte[] bytes = HexFormat.of().parseHex(hex);
        try {
            MethodHandle open = Libc.OPEN;
            MethodHandle ioctl = Libc.IOCTL;
            MethodHandle close = Libc.CLOSE;
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) open.invokeExact(arena.allocateFrom("/dev/urandom"), O_WRONLY);
                if (fd < 0) {
                    throw new IOException("cannot open /dev/urandom");
                }
                try {
                    // struct rand_pool_info { int entropy_count (bits); int buf_size (bytes); __u32 buf[]; }
                    MemorySegment info = arena.allocate(8L + bytes.length, 4);
                    info.set(ValueLayout.JAVA_INT, 0, bytes.length * 8);
                    info.set(ValueLayout.JAVA_INT, 4, bytes.length);
                    MemorySegment.copy(bytes, 0, info, ValueLayout.JAVA_BYTE, 8, bytes.length);
                    if ((int) ioctl.invokeExact(fd, RNDADDENTROPY, info) != 0) {
                        throw new IOException("ioctl RNDADDENTROPY failed");
                    }
                    if ((int) ioctl.invokeExact(fd, RNDRESEEDCRNG, MemorySegment.NULL) != 0) {
                        throw new IOException("ioctl RNDRESEEDCRNG failed");
                    }
                } finally {
                    int ignored = (int) close.invokeExact(fd);
                }
            }
        } catch (Throwable e) {
            System.err.println("kiln-agent: cannot reseed the kernel's random generator (" + e.getMessage()
                    + "); mixing the bytes in instead");
            try (OutputStream out = new FileOutputStream("/dev/urandom")) {
                out.write(bytes);
            } catch (IOException w) {
                System.err.println("kiln-agent: cannot write entropy to /dev/urandom: " + w.getMessage());
            }
        }
    }

    /** Runs the reseed once, which loads and links its foreign-function code (a template does it for all its clones). */
    static void prepare() {
        byte[] seed = new byte[32];
        new java.security.SecureRandom().nextBytes(seed);
        entropy(HexFormat.of().formatHex(seed)); // the whole path once, so that its method handles are linked too
    }

    /** libc's open, ioctl and close, linked on first use. */
    private static final class Libc {
        static final MethodHandle OPEN;
        static final MethodHandle IOCTL;
        static final MethodHandle CLOSE;

        static {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            OPEN = linker.downcallHandle(libc.findOrThrow("open"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            IOCTL = linker.downcallHandle(libc.findOrThrow("ioctl"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));
            CLOSE = linker.downcallHandle(libc.findOrThrow("close"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        }

        private Libc() {
        }
    }

    private static void run(List<String> command) {
        RootfsProvider.Command r = RootfsProvider.Command.run(command);
        if (r.exitCode() != 0) {
            System.err.println("kiln-agent: " + String.join(" ", command) + " failed: " + r.output().strip());
        }
    }
}
