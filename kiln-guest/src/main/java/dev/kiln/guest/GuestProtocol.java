package dev.kiln.guest;

/**
 * The wire contract between the host and a kiln guest. The guest scripts (resources of this package) implement
 * it; host code should use these constants instead of repeating the literals.
 *
 * <h2>Boot</h2>
 * Boot the image with QEMU's {@code microvm} machine ({@code acpi=on}), {@code -kernel}/{@code -initrd} from the
 * {@link GuestImage}, the kernel argument {@code console=ttyS0}, and the root filesystem read-only as the first
 * virtio-blk device ({@link #ROOT_DEVICE}). Extra virtio disks become /dev/vdb, /dev/vdc, ... and are mounted at
 * {@link #MOUNT_PREFIX}{@code vdb}, ... (read-only when the device is read-only; a disk that fails to mount is
 * left unmounted). The first virtio-net device is eth0.
 *
 * <h2>Console (serial, ttyS0)</h2>
 * <ul>
 *   <li>{@code KILN_GUEST_READY id=<id|none> ip=<address without prefix|none>}: printed exactly once, after the
 *       network, disks, acpid and the control endpoint are up.</li>
 *   <li>{@code KILN_GUEST_FAILED reason=<token>}: the guest could not start and powers off. Reasons:
 *       {@code no-root-device}, {@code root-mount-failed}, {@code no-kiln-init}, {@code switch-root-failed},
 *       {@code network-failed}.</li>
 *   <li>{@code KILN_PROBE_OK}: printed by a guest booted with {@code kiln.probe=1}, which then powers off at
 *       once (it needs no root disk).</li>
 *   <li>{@code KILN_AGENT_EXITED status=<code>}: the guest agent's process ended; the end of its log follows,
 *   and init starts it again (a new agent takes over the running containers).</li>
 * </ul>
 *
 * <h2>Control endpoint (HTTP on {@link #CONTROL_PORT})</h2>
 * <ul>
 *   <li>{@code GET /cgi-bin/health}: {@code application/json}
 *       {@code {"id":"..","uptime":12.34,"kernel":"6.1.0-..","memTotalKb":N,"cpus":N}}; needs no token.</li>
 *   <li>{@code POST /cgi-bin/exec?token=<token>}: the body is a shell command, run with {@code sh -c} in
 *       {@code /}; the reply is {@code text/plain} with its combined stdout and stderr, then a last line
 *       {@code KILN_EXIT=<code>}. A missing or wrong token (or none configured) gives 403 and runs nothing;
 *       another method gives 405; an empty body gives 400.</li>
 * </ul>
 * Replies carry {@code Content-Length}; the connection closes after each reply.
 *
 * <h2>Shutdown</h2>
 * An ACPI power-button press (QMP {@code system_powerdown}) makes the guest stop its processes, unmount the
 * extra disks and power off; QEMU then exits.
 */
public final class GuestProtocol {
    /** Console line prefix: the guest is ready. */
    public static final String READY_MARKER = "KILN_GUEST_READY";
    /** Console line prefix: the guest failed to start and powers off. */
    public static final String FAILED_MARKER = "KILN_GUEST_FAILED";
    /** Console line of a probe guest ({@code kiln.probe=1}). */
    public static final String PROBE_MARKER = "KILN_PROBE_OK";
    /**
     * Console line prefix: the guest agent's process ended ({@code KILN_AGENT_EXITED status=<code>}), followed by the
     * last lines of its log. A healthy guest never prints it.
     */
    public static final String AGENT_EXITED_MARKER = "KILN_AGENT_EXITED";
    /** TCP port of the guest's HTTP control endpoint. */
    public static final int CONTROL_PORT = 10070;

    /** Kernel command line key: the VM id, echoed in the ready line and health. */
    public static final String CMDLINE_ID = "kiln.id";
    /** Kernel command line key: eth0's address as {@code a.b.c.d/prefix}; absent means no network setup. */
    public static final String CMDLINE_IP = "kiln.ip";
    /** Kernel command line key: the default gateway {@code a.b.c.d}. */
    public static final String CMDLINE_GATEWAY = "kiln.gw";
    /**
     * Kernel command line key: eth0's MTU (absent: 1500). The host lowers it when its bridge carries less, e.g. 1450
     * with a VXLAN overlay on a 1500-byte underlay.
     */
    public static final String CMDLINE_MTU = "kiln.mtu";
    /** Kernel command line key: the hex token that {@code exec} requires; absent means exec is refused. */
    public static final String CMDLINE_TOKEN = "kiln.token";
    /** Kernel command line key: the guest's hostname (default: the id, else "kiln"). */
    public static final String CMDLINE_HOSTNAME = "kiln.hostname";
    /**
     * Kernel command line key: the name of the VM's scratch disk (e.g. {@code vdb}); the guest mounts it read-write
     * at {@link #SCRATCH_MOUNT} instead of under {@link #MOUNT_PREFIX}. Absent: a tmpfs is mounted there.
     */
    public static final String CMDLINE_SCRATCH = "kiln.scratch";
    /** Kernel command line key: {@code kiln.probe=1} boots the probe guest. */
    public static final String CMDLINE_PROBE = "kiln.probe";

    /** The serial console device to name in {@code console=}. */
    public static final String CONSOLE_DEVICE = "ttyS0";
    /** The device the root filesystem image must appear as. */
    public static final String ROOT_DEVICE = "/dev/vda";
    /** Extra disks are mounted at this prefix plus their device name, e.g. {@code /mnt/vdb}. */
    public static final String MOUNT_PREFIX = "/mnt/";
    /** Filesystem label of the root filesystem image. */
    public static final String ROOTFS_LABEL = "kiln-root";

    /** Where the guest agent keeps its state (images, layers, containers): the scratch disk, or a tmpfs. */
    public static final String SCRATCH_MOUNT = "/var/lib/kiln";
    /** Filesystem label kiln gives a VM's scratch disk. */
    public static final String SCRATCH_LABEL = "kiln-scratch";

    /** The guest agent's Java runtime (jlinked) in the root filesystem. */
    public static final String AGENT_JRE = "/opt/kiln/jre";
    /** The guest agent's directory: its jar, JVM options file and AOT cache. */
    public static final String AGENT_DIR = "/opt/kiln/agent";
    /** The agent jar's file name in {@link #AGENT_DIR}. */
    public static final String AGENT_JAR_NAME = "kiln-agent.jar";
    /** The JVM argument file (one option per line) in {@link #AGENT_DIR}. */
    public static final String AGENT_JVM_OPTIONS_NAME = "jvm.options";
    /** The AOT cache in {@link #AGENT_DIR}. */
    public static final String AGENT_AOT_NAME = "kiln-agent.aot";
    /** The agent's main class. */
    public static final String AGENT_MAIN_CLASS = "dev.kiln.agent.Main";
    /** The agent's log (stdout and stderr) in the guest. */
    public static final String AGENT_LOG = "/run/kiln/agent.log";
    /** The running guest agent's pid (written by init each time it starts the agent). */
    public static final String AGENT_PID = "/run/kiln/agent.pid";
    /** glibc's C.UTF-8 locale in the root filesystem (the agent runs with {@code LC_ALL=C.UTF-8}). */
    public static final String AGENT_LOCALE_DIR = "/usr/lib/locale/C.utf8";
    /** runc in the root filesystem. */
    public static final String RUNC = "/usr/sbin/runc";
    /**
     * iproute2's {@code ip} in the root filesystem, beside busybox's own {@code ip} applet (which stays the guest's
     * {@code ip}): the agent makes pod network namespaces and ipvlan links with it.
     */
    public static final String IPROUTE = "/opt/kiln/bin/ip";

    /** Path of the health endpoint. */
    public static final String HEALTH_PATH = "/cgi-bin/health";
    /** Path of the exec endpoint. */
    public static final String EXEC_PATH = "/cgi-bin/exec";
    /** Query parameter of the exec endpoint that carries the token. */
    public static final String EXEC_TOKEN_PARAM = "token";
    /** Prefix of the last line of an exec reply; the command's exit code follows. */
    public static final String EXIT_MARKER = "KILN_EXIT=";

    private GuestProtocol() {
    }

    /** {@code key=value} for the kernel command line. */
    public static String kernelArg(String key, String value) {
        return key + "=" + value;
    }

    /**
     * The guest device name of the virtio disk at a position: 0 is {@code vda} (the root filesystem),
     * 1 is {@code vdb}, 25 is {@code vdz}, 26 is {@code vdaa}, as Linux names them.
     */
    public static String diskName(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("disk index must not be negative: " + index);
        }
        var suffix = new StringBuilder();
        int n = index;
        do {
            suffix.insert(0, (char) ('a' + n % 26));
            n = n / 26 - 1;
        } while (n >= 0);
        return "vd" + suffix;
    }

    /** Where the guest mounts the virtio disk at a position (1 and up), e.g. {@code /mnt/vdb}. */
    public static String mountPoint(int index) {
        if (index < 1) {
            throw new IllegalArgumentException("disk 0 is the root filesystem; extra disks start at 1");
        }
        return MOUNT_PREFIX + diskName(index);
    }
}
