package dev.kiln.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.vmm.AcceleratorChoice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remembers the accelerator probe's verdict (it costs a boot, up to 15 s where KVM hangs) per guest image and host
 * kernel, in accelerator.json beside the image cache, so agents that share the cache (tests) share the verdict.
 * Delete the file to probe again; 'kiln doctor' always probes afresh.
 */
final class AcceleratorCache {
    private static final Logger LOG = LoggerFactory.getLogger(AcceleratorCache.class);
    private final Path file;
    private final ObjectMapper json;

    record Entry(String key, AcceleratorChoice choice) {}

    AcceleratorCache(Path imageCache, ObjectMapper json) {
        this.file = imageCache.resolve("accelerator.json");
        this.json = json;
    }

    AcceleratorChoice choose(String imageDigest, Supplier<AcceleratorChoice> probe) {
        String key = imageDigest + "/" + hostKernel() + "/" + Files.exists(Path.of("/dev/kvm"));
        try {
            if (Files.exists(file)) {
                Entry e = json.readValue(file.toFile(), Entry.class);
                if (e.key().equals(key)) return e.choice();
            }
        } catch (IOException e) {
            LOG.warn("ignoring unreadable {}: {}", file, e.getMessage());
        }
        AcceleratorChoice choice = probe.get();
        try {
            Files.createDirectories(file.getParent());
            json.writeValue(file.toFile(), new Entry(key, choice));
        } catch (IOException e) {
            LOG.warn("cannot cache the accelerator choice: {}", e.getMessage());
        }
        return choice;
    }

    private static String hostKernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
