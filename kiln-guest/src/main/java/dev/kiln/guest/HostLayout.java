package dev.kiln.guest;

import java.io.File;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where the builder finds host inputs and tools. {@link #system()} reads the real host; tests point it elsewhere.
 *
 * @param bootDir      where default kernels are looked for ({@code vmlinuz-<version>})
 * @param modulesRoot  where default module trees are looked for ({@code <version>/modules.dep})
 * @param toolPath     directories searched for host tools (mke2fs)
 * @param toolTimeout  how long one host tool may run
 * @param clock        for build timestamps and durations
 */
record HostLayout(Path bootDir, Path modulesRoot, List<Path> toolPath, Duration toolTimeout, Clock clock) {
    HostLayout {
        Objects.requireNonNull(bootDir, "bootDir");
        Objects.requireNonNull(modulesRoot, "modulesRoot");
        toolPath = List.copyOf(toolPath);
        Objects.requireNonNull(toolTimeout, "toolTimeout");
        Objects.requireNonNull(clock, "clock");
    }

    static HostLayout system() {
        var dirs = new ArrayList<Path>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isBlank()) {
                    dirs.add(Path.of(dir));
                }
            }
        }
        // mke2fs lives in /usr/sbin, which is not on an ordinary user's PATH.
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (!dirs.contains(Path.of(dir))) {
                dirs.add(Path.of(dir));
            }
        }
        return new HostLayout(Path.of("/boot"), Path.of("/lib/modules"), dirs, Duration.ofMinutes(2),
                Clock.systemUTC());
    }
}
