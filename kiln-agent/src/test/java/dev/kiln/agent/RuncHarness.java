package dev.kiln.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the real-runc tests share: a cgroup parent of their own ({@code /kiln-test-<random>}), and the checks that
 * nothing leaked at the end: no runc container in the agent's runc root or the default one with our ids, no
 * cgroup below our parent (then the parent is removed), no overlay mount under the state directory.
 */
final class RuncHarness {
    final String cgroupParent = "/kiln-test-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 8);

    List<String> args(Path stateDir, String... more) {
        List<String> args = new ArrayList<>(List.of("--state-dir=" + stateDir, "--runc=" + Fixtures.RUNC,
                "--cgroup-parent=" + cgroupParent, "--start-timeout=20s"));
        args.addAll(List.of(more));
        return args;
    }

    /** Asserts that nothing is left, then removes the (empty) cgroup parents. */
    void assertNoLeaks(Path stateDir, List<String> ids) throws IOException {
        Runc runc = new Runc(Fixtures.RUNC, stateDir.resolve("runc"));
        assertThat(runc.list()).as("containers left in the agent's runc root").isEmpty();
        Runc defaultRoot = new Runc(Fixtures.RUNC, Path.of("/run/runc"));
        assertThat(defaultRoot.list()).as("our ids in the default runc root").doesNotContainAnyElementsOf(ids);
        // runc makes the parent in every hierarchy (blkio, devices, freezer, ... too), not only the ones kiln reads
        List<Path> parents = new ArrayList<>();
        try (Stream<Path> hierarchies = Files.list(Cgroups.DEFAULT_ROOT)) {
            hierarchies.map(h -> h.resolve(cgroupParent.substring(1))).forEach(parents::add);
        }
        parents.add(Cgroups.DEFAULT_ROOT.resolve(cgroupParent.substring(1)));
        for (Path dir : parents) {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> children = Files.list(dir)) {
                    assertThat(children.filter(Files::isDirectory).toList()).as("cgroups left in " + dir).isEmpty();
                }
                Files.delete(dir); // rmdir of an empty cgroup
            }
        }
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertThat(mountinfo).as("mounts left under " + stateDir).doesNotContain(stateDir.toString());
    }
}
