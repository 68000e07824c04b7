package dev.kiln.vmm.qemu;

import dev.kiln.vmm.Accelerator;
import dev.kiln.vmm.AcceleratorChoice;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decides between KVM and TCG by booting a probe guest under KVM: the device file's presence proves nothing
 * (a nested, paravirtualized KVM may hang right after the kernel starts). KVM is chosen only when the probe
 * guest prints its marker within the timeout.
 */
public final class AcceleratorProbe {
    private final Path qemu;
    private final Path kvmDevice;
    private final Clock clock;

    public AcceleratorProbe(Path qemu, Path kvmDevice, Clock clock) {
        this.qemu = qemu;
        this.kvmDevice = kvmDevice;
        this.clock = clock;
    }

    /**
     * @param kernel  a kernel the probe boots
     * @param initrd  an initramfs that prints {@code marker} on ttyS0 and powers off when given {@code kiln.probe=1}
     */
    public AcceleratorChoice probe(Path kernel, Path initrd, String marker, Duration timeout) {
        if (!Files.exists(kvmDevice)) {
            return tcg(kvmDevice + " does not exist (no KVM on this host)");
        }
        try (RandomAccessFile f = new RandomAccessFile(kvmDevice.toFile(), "rw")) {
            // opened: the device is usable as a file; whether it can run a guest is what the boot below tells
        } catch (IOException e) {
            return tcg("cannot open " + kvmDevice + ": " + e.getMessage());
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("kiln-kvm-probe");
        } catch (IOException e) {
            return tcg("cannot create a temporary directory for the KVM probe: " + e.getMessage());
        }
        Path console = dir.resolve("console.log");
        List<String> cmd = List.of(qemu.toString(), "-name", "kiln-kvm-probe", "-machine", "microvm,acpi=on",
                "-accel", "kvm", "-cpu", "host", "-m", "128M", "-smp", "1", "-nodefaults", "-no-user-config",
                "-display", "none", "-no-reboot", "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "-append", "console=ttyS0 panic=-1 quiet kiln.probe=1",
                "-chardev", "file,id=console,path=" + console, "-serial", "chardev:console");
        Process p = null;
        long start = System.nanoTime();
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("qemu.log").toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            long deadline = start + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (Files.exists(console) && Files.readString(console, java.nio.charset.StandardCharsets.ISO_8859_1).contains(marker)) {
                    long ms = (System.nanoTime() - start) / 1_000_000;
                    return new AcceleratorChoice(Accelerator.KVM, "a probe guest booted under KVM in " + ms + " ms", clock.instant());
                }
                if (!p.isAlive()) {
                    String log = Files.readString(dir.resolve("qemu.log")).strip();
                    return tcg("QEMU with KVM exited before the probe guest booted: " + lastLine(log));
                }
                Thread.sleep(20);
            }
            return tcg("a probe guest under KVM did not boot within " + timeout.toSeconds()
                    + " s (a nested KVM that cannot run a standard guest)");
        } catch (IOException e) {
            return tcg("cannot run the KVM probe: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return tcg("KVM probe interrupted");
        } finally {
            if (p != null) {
                p.destroyForcibly();
                try {
                    p.waitFor(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            deleteQuietly(dir);
        }
    }

    private AcceleratorChoice tcg(String why) {
        return new AcceleratorChoice(Accelerator.TCG, why, clock.instant());
    }

    private static String lastLine(String s) {
        int i = s.lastIndexOf('\n');
        return i < 0 ? s : s.substring(i + 1);
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // best effort: a temp dir
        }
    }
}
