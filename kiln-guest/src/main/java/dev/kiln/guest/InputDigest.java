package dev.kiln.guest;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The identity of a guest image: a sha256 over a canonical listing of every input (format version, kernel,
 * each module with its load position, busybox, each guest file). The listing is kept next to the image as
 * {@code inputs.txt}, so one can see why two images differ.
 */
record InputDigest(String digest, String listing) {
    /** The agent's inputs: the options and the bundled jar's bytes. */
    record AgentInputs(GuestAgentOptions options, byte[] jar) {
    }

    /** The starts of the lines that come from kiln itself, not from the host: the same for every host's kiln. */
    private static final List<String> KILN_OWN = List.of("format ", "file ", "agent ", "jre-modules ", "jvm-options ");

    static InputDigest of(ResolvedKernel kernel, Path busybox, List<GuestLayout.GuestFileContent> files,
                          Optional<AgentInputs> agent, FileHashMemo memo) {
        var listing = new StringBuilder();
        listing.append(formatLine());
        listing.append("kernel ").append(memo.sha256(kernel.kernel())).append(' ').append(kernel.version()).append('\n');
        for (KernelModule module : kernel.modules()) {
            listing.append("module ").append(memo.sha256(module.file())).append(' ').append(module.imageFileName())
                    .append('\n');
        }
        listing.append("busybox ").append(memo.sha256(busybox)).append('\n');
        for (GuestLayout.GuestFileContent file : files) {
            listing.append(fileLine(file));
        }
        agent.ifPresent(a -> {
            listing.append(agentLine(a.jar()));
            // the runtime is linked from this JDK and the AOT cache is only valid for its exact build
            Path release = a.options().jdkHome().resolve("release");
            listing.append("jdk ").append(memo.sha256(release)).append(' ').append(a.options().jdkHome()).append('\n');
            listing.append("runc ").append(memo.sha256(a.options().runc())).append('\n');
            listing.append("ip ").append(memo.sha256(a.options().ip())).append('\n');
            listing.append(agentRuntimeLines());
        });
        String text = listing.toString();
        return new InputDigest(FileHashMemo.sha256(text.getBytes(StandardCharsets.UTF_8)), text);
    }

    /**
     * The lines of a listing that this kiln writes whatever the host has (format, guest files, and for an agent
     * image the agent's jar, runtime modules and JVM options), in listing order. An image whose listing has exactly
     * these is one this kiln can run, whatever kernel, busybox, JDK and runc the host that built it had.
     */
    static List<String> kilnOwnLines(List<GuestLayout.GuestFileContent> files, Optional<byte[]> agentJar) {
        var text = new StringBuilder(formatLine());
        files.forEach(f -> text.append(fileLine(f)));
        agentJar.ifPresent(jar -> text.append(agentLine(jar)).append(agentRuntimeLines()));
        return text.toString().lines().toList();
    }

    /** The lines of {@code listing} (an {@code inputs.txt}) that come from kiln itself; see {@link #kilnOwnLines}. */
    static List<String> kilnOwnLines(String listing) {
        return listing.lines().filter(l -> KILN_OWN.stream().anyMatch(l::startsWith)).toList();
    }

    private static String formatLine() {
        return "format " + GuestLayout.FORMAT_VERSION + "\n";
    }

    private static String fileLine(GuestLayout.GuestFileContent file) {
        return "file " + FileHashMemo.sha256(file.bytes()) + ' ' + file.file().target() + ' ' + file.file().path()
                + ' ' + Integer.toOctalString(file.file().mode()) + '\n';
    }

    private static String agentLine(byte[] jar) {
        return "agent " + FileHashMemo.sha256(jar) + '\n';
    }

    private static String agentRuntimeLines() {
        return "jre-modules " + String.join(",", AgentStager.JRE_MODULES) + '\n'
                + "jvm-options " + String.join(" ", AgentStager.JVM_OPTIONS) + '\n';
    }
}
