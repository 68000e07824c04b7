package dev.kiln.guest;

import org.awaitility.core.ConditionTimeoutException;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/** A QEMU microvm booted from a test; closing it always kills QEMU. */
final class QemuGuest implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final Path qmp;

    private QemuGuest(Process process, Path log, Path qmp) {
        this.process = process;
        this.log = log;
        this.qmp = qmp;
    }

    /**
     * Boots the kernel and initrd with TCG, the console in {@code work/console.log} and a QMP socket.
     *
     * @param append    the kernel command line after {@code console=ttyS0 quiet panic=-1}
     * @param extraArgs drives, network and the like
     */
    static QemuGuest boot(GuestImage image, Path work, String append, List<String> extraArgs) throws IOException {
        Path log = work.resolve("console.log");
        Path qmp = work.resolve("qmp.sock");
        var command = new ArrayList<>(List.of("qemu-system-x86_64", "-M", "microvm,acpi=on", "-accel", "tcg",
                "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                "-kernel", image.kernel().toString(), "-initrd", image.initrd().toString(),
                "-append", "console=ttyS0 quiet panic=-1 " + tscArg() + append,
                "-chardev", "file,id=con,path=" + log, "-serial", "chardev:con",
                "-qmp", "unix:" + qmp + ",server=on,wait=off"));
        command.addAll(extraArgs);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("qemu.out").toFile()).start();
        return new QemuGuest(process, log, qmp);
    }

    /**
     * Under TCG the guest's TSC runs at the host's TSC rate, but a busy host makes the kernel's calibration
     * against the emulated PIT fail, after which boot stalls (no TSC frequency, no LAPIC timer). Telling the
     * kernel the rate skips that calibration. On this kind of host /proc/cpuinfo's "cpu MHz" is the TSC rate.
     */
    static String tscArg() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("cpu MHz"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst()
                    .map(mhz -> "tsc_early_khz=" + Math.round(Double.parseDouble(mhz) * 1000) + " ")
                    .orElse("");
        } catch (IOException | NumberFormatException e) {
            return "";
        }
    }

    static List<String> rootDrive(GuestImage image) {
        return List.of("-drive", "id=root,file=" + image.rootfs() + ",format=raw,if=none,readonly=on",
                "-device", "virtio-blk-device,drive=root");
    }

    /** Waits until the console shows the marker; fails early if QEMU exits or the guest reports a failure. */
    Duration awaitConsole(String marker, Duration timeout) {
        long start = System.nanoTime();
        try {
            awaitMarker(marker, timeout);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("no " + marker + " within " + timeout + "; console:\n" + console(), e);
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    private void awaitMarker(String marker, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
            String text = console();
            if (text.contains(marker)) {
                return true;
            }
            if (!marker.equals(GuestProtocol.FAILED_MARKER) && text.contains(GuestProtocol.FAILED_MARKER)) {
                throw new AssertionError("guest failed:\n" + text);
            }
            if (!process.isAlive()) {
                throw new AssertionError("QEMU exited with " + process.exitValue() + " before " + marker + ":\n" + text);
            }
            return false;
        });
    }

    String console() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether QEMU exits by itself within the timeout. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Presses the ACPI power button through QMP. */
    void systemPowerdown() throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(qmp));
            InputStream in = Channels.newInputStream(channel);
            OutputStream out = Channels.newOutputStream(channel);
            readLine(in); // greeting
            execute(in, out, "qmp_capabilities");
            execute(in, out, "system_powerdown");
        }
    }

    /** Sends a command and reads its reply, skipping the asynchronous events QEMU may send first. */
    private static void execute(InputStream in, OutputStream out, String command) throws IOException {
        out.write(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        while (true) {
            String reply = readLine(in);
            if (reply.contains("\"return\"")) {
                return;
            }
            if (reply.isEmpty() || reply.contains("\"error\"")) {
                throw new IOException(command + " failed: " + reply);
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        var line = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            line.append((char) c);
        }
        return line.toString();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Kills QEMU and waits until it is gone, also when the test thread is interrupted. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
