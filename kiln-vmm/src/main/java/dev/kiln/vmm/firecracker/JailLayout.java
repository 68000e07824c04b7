package dev.kiln.vmm.firecracker;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Where the jailer puts one VM, as seen from the host. Documented by the jailer ({@code docs/jailer.md}, v1.16.1):
 * the jail is {@code <chroot_base>/<exec_file_name>/<id>/root}; Firecracker's {@code --api-sock} (default
 * {@code /run/firecracker.socket}) and every file handed to it through the API are paths inside that root; with
 * {@code --new-pid-ns} the jailer writes Firecracker's pid to {@code <root>/<exec_file_name>.pid}; and cleaning up
 * after the jailer is the caller's job. Pure: nothing here touches the host.
 *
 * <p>kiln hard-links (or binds) the kernel, the initrd and each drive into the root under fixed names, so the names
 * given to Firecracker never depend on host paths: {@code /vmlinux}, {@code /initrd.img}, {@code /drive-<id>.img}.
 */
public final class JailLayout {
    /** Firecracker's default API socket path when {@code --api-sock} is not given. */
    public static final Path DEFAULT_API_SOCKET = Path.of("/run/firecracker.socket");
    static final Path KERNEL = Path.of("/vmlinux");
    static final Path INITRD = Path.of("/initrd.img");

    private final JailSpec spec;
    private final Path jailDir;
    private final Path root;

    private JailLayout(JailSpec spec) {
        this.spec = spec;
        this.jailDir = spec.chrootBaseDir().resolve(spec.execFileName()).resolve(spec.id());
        this.root = jailDir.resolve("root");
    }

    public static JailLayout of(JailSpec spec) {
        return new JailLayout(Objects.requireNonNull(spec, "spec"));
    }

    /** {@code <chroot_base>/<exec_file_name>/<id>}: the directory kiln removes with the VM. */
    public Path jailDir() {
        return jailDir;
    }

    /** {@code <chroot_base>/<exec_file_name>/<id>/root}: {@code /} as the jailed Firecracker sees it. */
    public Path root() {
        return root;
    }

    /** The API socket path Firecracker is told (from {@code --api-sock} in the spec, else the default). */
    public Path apiSocketInJail() {
        List<String> args = spec.firecrackerArgs();
        Path found = DEFAULT_API_SOCKET;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--api-sock") && i + 1 < args.size()) {
                found = Path.of(args.get(i + 1));
            } else if (a.startsWith("--api-sock=")) {
                found = Path.of(a.substring("--api-sock=".length()));
            }
        }
        return found;
    }

    /**
     * The API socket as the host sees it, checked against Linux's {@code sun_path} limit (107 bytes without the NUL,
     * the same limit the API client enforces): a jail under a deep base directory can make it unusable.
     */
    public Path apiSocketOnHost() {
        return FcChecks.socketPath("jailed API socket", onHost(apiSocketInJail()));
    }

    /** The kernel's path inside the jail. */
    public Path kernelInJail() {
        return KERNEL;
    }

    /** The initrd's path inside the jail. */
    public Path initrdInJail() {
        return INITRD;
    }

    /** A drive's backing file inside the jail, named after its Firecracker drive id. */
    public Path driveInJail(String driveId) {
        return Path.of("/drive-" + FcChecks.id("drive id", driveId) + ".img");
    }

    /** Where Firecracker's pid is written when the jailer runs it in a new PID namespace. */
    public Path pidFileOnHost() {
        return root.resolve(spec.execFileName() + ".pid");
    }

    /** The host path of a path inside the jail; refuses relative paths and any {@code ..}. */
    public Path onHost(Path inJail) {
        Objects.requireNonNull(inJail, "inJail");
        if (!inJail.isAbsolute()) {
            throw FcChecks.invalid("jail path '" + inJail + "' is not absolute",
                    "give the path as the jailed Firecracker sees it, e.g. /vmlinux");
        }
        for (Path part : inJail) {
            if (part.toString().equals("..")) {
                throw FcChecks.invalid("jail path '" + inJail + "' contains '..', which on the host climbs out of"
                        + " the jail root", "give a path below / without '..', e.g. /drive-rootfs.img");
            }
        }
        return root.resolve(inJail.getRoot().relativize(inJail)).normalize();
    }

    /** Everything kiln removes when the VM goes: the {@code <id>} directory, which holds the root and all in it. */
    public List<Path> toRemove() {
        return List.of(jailDir);
    }
}
