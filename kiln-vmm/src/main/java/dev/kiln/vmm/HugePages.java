package dev.kiln.vmm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The host's reserved huge pages ({@code /proc/meminfo}), which a VM whose spec asks for {@code hugePages} needs for
 * all of its memory. Checked before the VMM starts, so a host without enough of them gets a clear error, not a VMM
 * that dies mid-boot.
 *
 * @param total    reserved pages ({@code HugePages_Total})
 * @param free     pages no one uses yet ({@code HugePages_Free} minus {@code HugePages_Rsvd})
 * @param pageSize the default huge page size ({@code Hugepagesize})
 */
public record HugePages(long total, long free, ByteSize pageSize) {
    public static HugePages read() {
        return read(Path.of("/proc/meminfo"));
    }

    static HugePages read(Path meminfo) {
        try {
            return parse(Files.readAllLines(meminfo));
        } catch (IOException e) {
            return new HugePages(0, 0, ByteSize.ofMebibytes(2));
        }
    }

    static HugePages parse(List<String> lines) {
        long total = 0, free = 0, reserved = 0, sizeKb = 2048;
        for (String line : lines) {
            String[] f = line.split(":\\s*");
            if (f.length < 2) continue;
            long value = Long.parseLong(f[1].trim().split("\\s+")[0]);
            switch (f[0]) {
                case "HugePages_Total" -> total = value;
                case "HugePages_Free" -> free = value;
                case "HugePages_Rsvd" -> reserved = value;
                case "Hugepagesize" -> sizeKb = value;
                default -> { }
            }
        }
        return new HugePages(total, Math.max(0, free - reserved), new ByteSize(sizeKb * 1024));
    }

    /**
     * @throws VmmException INVALID_SPEC when the free huge pages cannot hold {@code memory}, or it is no whole number
     *                      of pages
     */
    public void check(ByteSize memory) {
        if (memory.bytes() % pageSize.bytes() != 0) {
            throw new VmmException(VmmError.INVALID_SPEC, "memory " + memory + " is not a whole number of "
                    + pageSize + " huge pages", "give the VM a multiple of " + pageSize.mebibytes() + " MiB");
        }
        long need = memory.bytes() / pageSize.bytes();
        if (need > free) {
            throw new VmmException(VmmError.INVALID_SPEC, "the VM's memory should come from huge pages, but this host "
                    + "has " + free + " free of " + total + " reserved " + pageSize + " huge pages and the VM needs "
                    + need, "reserve more as root ('echo " + (total + need - free)
                    + " > /proc/sys/vm/nr_hugepages'), or start the VM without huge pages");
        }
    }
}
