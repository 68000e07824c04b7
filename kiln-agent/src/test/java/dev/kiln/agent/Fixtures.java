package dev.kiln.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Test images built from the host's static busybox. */
final class Fixtures {
    static final Path BUSYBOX = Path.of("/bin/busybox");
    static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final List<String> APPLETS = List.of("sh", "echo", "cat", "head", "tr", "sleep", "ls", "id",
            "true", "false", "env", "pwd", "mkdir", "dd", "yes", "touch", "hostname", "ip", "wc", "rm");

    private Fixtures() {
    }

    /** A gzip layer with busybox, its applets as links, /etc/passwd and /etc/group. */
    static byte[] busyboxLayer() {
        try {
            var tar = new TarBuilder().dir("bin").dir("etc").dir("tmp").dir("proc").dir("sys").dir("dev")
                    .dir("home/app")
                    .file("bin/busybox", Files.readAllBytes(BUSYBOX), 0755);
            for (String applet : APPLETS) {
                tar.symlink("bin/" + applet, "busybox");
            }
            tar.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n")
                    .file("etc/group", "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
            return tar.gzip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static boolean busyboxPresent() {
        return Files.isExecutable(BUSYBOX);
    }

    /** Why real runc tests cannot run here, or empty when they can. */
    static String runcUnavailable() {
        if (!Privileges.isRoot()) {
            return "real runc tests need root";
        }
        if (!Files.isExecutable(RUNC)) {
            return "runc is not installed at " + RUNC;
        }
        if (!busyboxPresent()) {
            return "no static busybox at " + BUSYBOX;
        }
        return "";
    }
}
