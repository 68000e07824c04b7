package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Gives each container its own root file system on top of the shared, read-only image root: an overlay mount
 * (lower = image root, upper and work in the container's bundle) when the guest kernel has overlayfs and a mount
 * really works, else a full copy of the image root.
 */
sealed interface RootfsProvider permits RootfsProvider.Overlay, RootfsProvider.Copy {

    /** {@code overlay} or {@code copy}. */
    String mode();

    /** Makes {@code bundle/rootfs} from the image root and returns it. */
    Path prepare(Path imageRootfs, Path bundle);

    /** Undoes {@link #prepare} (unmounts); the caller then deletes the bundle. */
    void release(Path bundle);

    /** Picks the provider: forced by config, or overlay if a test mount under {@code stateDir} succeeds. */
    static RootfsProvider choose(AgentConfig.RootfsMode mode, Path stateDir) {
        return switch (mode) {
            case OVERLAY -> new Overlay();
            case COPY -> new Copy();
            case AUTO -> Overlay.works(stateDir) ? new Overlay() : new Copy();
        };
    }

    record Overlay() implements RootfsProvider {
        @Override
        public String mode() {
            return "overlay";
        }

        @Override
        public Path prepare(Path imageRootfs, Path bundle) {
            Path rootfs = bundle.resolve("rootfs");
            try {
                Files.createDirectories(bundle.resolve("upper"));
                Files.createDirectories(bundle.resolve("work"));
                Files.createDirectories(rootfs);
            } catch (IOException e) {
                throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot create the container's root");
            }
            mount(imageRootfs, bundle.resolve("upper"), bundle.resolve("work"), rootfs);
            return rootfs;
        }

        @Override
        public void release(Path bundle) {
            Path rootfs = bundle.resolve("rootfs");
            if (isMountPoint(rootfs)) {
                Command r = Command.run(List.of("umount", rootfs.toString()));
                if (r.exitCode() != 0) {
                    Command.run(List.of("umount", "-l", rootfs.toString()));
                }
            }
        }

        static void mount(Path lower, Path upper, Path work, Path target) {
            for (Path p : List.of(lower, upper, work)) {
                if (p.toString().contains(",") || p.toString().contains(":")) {
                    throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "overlay paths must not contain ',' or ':': "
                            + p, "use a state directory without ',' and ':'");
                }
            }
            Command r = Command.run(List.of("mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, target.toString()));
            if (r.exitCode() != 0) {
                throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot mount the overlay root at " + target
                        + ": " + r.output(), "start the agent with --rootfs copy");
            }
        }

        static boolean isMountPoint(Path dir) {
            try {
                String abs = dir.toAbsolutePath().normalize().toString();
                return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                        .map(l -> l.split(" "))
                        .anyMatch(f -> f.length > 4 && f[4].equals(abs));
            } catch (IOException e) {
                return false;
            }
        }

        /** Mounts a tiny overlay under {@code stateDir} and removes it again. */
        static boolean works(Path stateDir) {
            try {
                if (!Files.readString(Path.of("/proc/filesystems")).contains("\toverlay")) {
                    return false;
                }
                Path probe = Files.createTempDirectory(Files.createDirectories(stateDir), ".overlay-probe");
                try {
                    for (String d : List.of("l", "u", "w", "m")) {
                        Files.createDirectory(probe.resolve(d));
                    }
                    mount(probe.resolve("l"), probe.resolve("u"), probe.resolve("w"), probe.resolve("m"));
                    Command.run(List.of("umount", probe.resolve("m").toString()));
                    return true;
                } catch (AgentException e) {
                    return false;
                } finally {
                    Disk.deleteQuietly(probe);
                }
            } catch (IOException e) {
                return false;
            }
        }
    }

    record Copy() implements RootfsProvider {
        @Override
        public String mode() {
            return "copy";
        }

        @Override
        public Path prepare(Path imageRootfs, Path bundle) {
            Path rootfs = bundle.resolve("rootfs");
            try {
                Disk.copyTree(imageRootfs, rootfs);
            } catch (IOException e) {
                throw Disk.failure(e, AgentErrorCode.RUNTIME_ERROR, "cannot copy the image root");
            }
            return rootfs;
        }

        @Override
        public void release(Path bundle) {
            // the copy goes with the bundle
        }
    }

    /** A short helper command (mount, umount) and its combined output. */
    record Command(int exitCode, String output) {
        static Command run(List<String> cmd) {
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return new Command(-1, String.join(" ", cmd) + " timed out");
                }
                return new Command(p.exitValue(), out);
            } catch (IOException e) {
                return new Command(-1, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Command(-1, "interrupted");
            }
        }
    }
}
