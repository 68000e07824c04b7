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

    static InputDigest of(ResolvedKernel kernel, Path busybox, List<GuestLayout.GuestFileContent> files,
                          Optional<AgentInputs> agent, FileHashMemo memo) {
        var listing = new StringBuilder();
        listing.append("format ").append(GuestLayout.FORMAT_VERSION).append('\n');
        listing.append("kernel ").append(memo.sha256(kernel.kernel())).append(' ').append(kernel.version()).append('\n');
        for (KernelModule module : kernel.modules()) {
            listing.append("module ").append(memo.sha256(module.file())).append(' ').append(module.imageFileName())
                    .append('\n');
        }
        listing.append("busybox ").append(memo.sha256(busybox)).append('\n');
        for (GuestLayout.GuestFileContent file : files) {
            listing.append("file ").append(FileHashMemo.sha256(file.bytes())).append(' ')
                    .append(file.file().target()).append(' ').append(file.file().path()).append(' ')
                    .append(Integer.toOctalString(file.file().mode())).append('\n');
        }
        agent.ifPresent(a -> {
            listing.append("agent ").append(FileHashMemo.sha256(a.jar())).append('\n');
            // the runtime is linked from this JDK and the AOT cache is only valid for its exact build
            Path release = a.options().jdkHome().resolve("release");
            listing.append("jdk ").append(memo.sha256(release)).append(' ').append(a.options().jdkHome()).append('\n');
            listing.append("runc ").append(memo.sha256(a.options().runc())).append('\n');
            listing.append("ip ").append(memo.sha256(a.options().ip())).append('\n');
            listing.append("jre-modules ").append(String.join(",", AgentStager.JRE_MODULES)).append('\n');
            listing.append("jvm-options ").append(String.join(" ", AgentStager.JVM_OPTIONS)).append('\n');
        });
        String text = listing.toString();
        return new InputDigest(FileHashMemo.sha256(text.getBytes(StandardCharsets.UTF_8)), text);
    }
}
