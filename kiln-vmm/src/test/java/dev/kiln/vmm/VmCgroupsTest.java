package dev.kiln.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The groups' files on a directory tree shaped like the kernel's cgroup file systems (the kernel's own groups are
 * what QemuJailTest checks): limits written and read back, and the parent's CPU weight kept at the sum of its groups'.
 */
class VmCgroupsTest {
    @TempDir
    Path fs;

    private VmCgroups v1() throws IOException {
        for (String c : new String[] {"memory", "pids", "cpu"}) {
            Files.createDirectories(fs.resolve(c));
        }
        return new VmCgroups(fs, false);
    }

    private VmCgroups v2() throws IOException {
        Files.writeString(fs.resolve("cgroup.subtree_control"), "");
        Files.createDirectories(fs.resolve(VmCgroups.PARENT));
        Files.writeString(fs.resolve(VmCgroups.PARENT).resolve("cgroup.subtree_control"), "");
        return new VmCgroups(fs, true);
    }

    private long read(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    @Test
    void v1GroupsWeighTheirVcpusAndTheParentTheirSum() throws IOException {
        VmCgroups cgroups = v1();
        Path parentShares = fs.resolve("cpu/kiln/cpu.shares");
        cgroups.create("a", new VmCgroups.Limits(1L << 30, 132, 2.0, 1));
        cgroups.create("b", new VmCgroups.Limits(2L << 30, 140, 4.0, 3));
        cgroups.create("c", new VmCgroups.Limits(2L << 30, 140, 0.5, 1));
        assertThat(read(fs.resolve("cpu/kiln/a/cpu.shares"))).isEqualTo(1024);
        assertThat(read(fs.resolve("cpu/kiln/b/cpu.shares"))).isEqualTo(3072);
        assertThat(read(fs.resolve("cpu/kiln/c/cpu.shares"))).isEqualTo(1024);
        assertThat(read(parentShares)).isEqualTo(5120);
        assertThat(cgroups.read("b")).contains(new VmCgroups.Limits(2L << 30, 140, 4.0, 3));
        assertThat(read(fs.resolve("cpu/kiln/b/cpu.cfs_quota_us"))).isEqualTo(400_000);

        // rmdir of a group's directory: the tree here has the files the kernel would not, so empty it first
        emptyGroup("a");
        cgroups.remove("a");
        assertThat(read(parentShares)).isEqualTo(4096);
        emptyGroup("c");
        cgroups.remove("c");
        emptyGroup("b");
        cgroups.remove("b");
        assertThat(read(parentShares)).as("no VM: the default weight of one process").isEqualTo(1024);
    }

    @Test
    void v2WeightsAreCappedAtTheKernelsMaximum() throws IOException {
        VmCgroups cgroups = v2();
        cgroups.create("big", new VmCgroups.Limits(1L << 30, 500, 90.0, 90));
        cgroups.create("bigger", new VmCgroups.Limits(1L << 30, 500, 200.0, 200));
        assertThat(read(fs.resolve("kiln/big/cpu.weight"))).isEqualTo(9000);
        assertThat(read(fs.resolve("kiln/bigger/cpu.weight"))).isEqualTo(10_000);
        assertThat(read(fs.resolve("kiln/cpu.weight"))).isEqualTo(10_000);
        assertThat(Files.readString(fs.resolve("kiln/big/cpu.max"))).isEqualTo("9000000 100000");
    }

    @Test
    void aGroupWithoutAWeightOfItsOwnIsNotCounted() throws IOException {
        VmCgroups cgroups = v1();
        cgroups.create("a", new VmCgroups.Limits(1L << 30, 132, 2.0, 2));
        Files.createDirectories(fs.resolve("cpu/kiln/being-made"));
        cgroups.balanceParent();
        assertThat(read(fs.resolve("cpu/kiln/cpu.shares"))).isEqualTo(2048);
    }

    private void emptyGroup(String name) throws IOException {
        for (String c : new String[] {"memory", "pids", "cpu"}) {
            Path dir = fs.resolve(c).resolve("kiln").resolve(name);
            if (!Files.isDirectory(dir)) continue;
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.delete(f);
            }
        }
    }
}
