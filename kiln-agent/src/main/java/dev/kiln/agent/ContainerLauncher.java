package dev.kiln.agent;

import dev.kiln.agent.function.RuntimeLauncher;
import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.Mount;
import dev.kiln.api.agent.NetworkMode;
import dev.kiln.api.agent.RestartPolicy;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a function's runtime as a runc container of the slot's guest: the runtime's image, the code read-only at
 * {@code /var/task}, kiln's runtime files read-only at {@code /var/runtime}, a tmpfs at {@code /tmp}, the guest's own
 * network (so {@code 127.0.0.1:9001}, the Runtime API, is the agent) and the function's memory as its limit.
 */
final class ContainerLauncher implements RuntimeLauncher {
    /** The container's name in the guest; one function per slot. */
    static final String NAME = "kiln-function";
    private static final long TMP_BYTES = 512L * 1024 * 1024;
    private static final int TAIL_BYTES = 4096;

    private final AgentService service;
    private final String image;
    private final Optional<String> registry;
    private final List<String> command;
    private final Path taskRoot;
    private final Path runtimeDir;
    private final long memoryBytes;
    private final Optional<Path> imageDir;

    /**
     * @param imageDir where the image's disk is mounted (its root unpacked by the host); empty: pull the image
     */
    ContainerLauncher(AgentService service, String image, Optional<String> registry, List<String> command,
                      Path taskRoot, Path runtimeDir, long memoryBytes, Optional<Path> imageDir) {
        this.imageDir = imageDir;
        this.service = service;
        this.image = image;
        this.registry = registry;
        this.command = List.copyOf(command);
        this.taskRoot = taskRoot;
        this.runtimeDir = runtimeDir;
        this.memoryBytes = memoryBytes;
    }

    @Override
    public RuntimeProcess launch(Map<String, String> environment) {
        removeQuietly();
        var spec = new ContainerSpec(NAME, image, registry, command.isEmpty() ? Optional.empty() : Optional.of(command),
                Optional.empty(), environment,
                Optional.of("/var/task"), Optional.empty(), Optional.of(memoryBytes), Optional.empty(), Optional.empty(),
                false, List.of(Mount.bind(taskRoot.toString(), "/var/task", true),
                        Mount.bind(runtimeDir.toString(), "/var/runtime", true), Mount.tmpfs("/tmp", TMP_BYTES)),
                NetworkMode.VM, RestartPolicy.no());
        if (imageDir.isPresent()) {
            service.createFromImageDisk(spec, imageDir.get());
        } else {
            service.create(spec);
        }
        ContainerRuntime.Logs logs = service.runtime().logs(NAME);
        CompletableFuture<Integer> exit = logs.ended().thenApply(v -> {
            try {
                return service.runtime().inspect(NAME).exitCode().orElse(-1);
            } catch (AgentException e) {
                return 137; // removed: killed
            }
        });
        return new RuntimeProcess() {
            @Override
            public CompletableFuture<Integer> onExit() {
                return exit;
            }

            @Override
            public void kill() {
                removeQuietly();
            }

            @Override
            public String outputTail() {
                return tail(logs.stderr()) + tail(logs.stdout());
            }
        };
    }

    private void removeQuietly() {
        try {
            service.runtime().remove(NAME, true);
        } catch (AgentException e) {
            if (e.code() != AgentErrorCode.NOT_FOUND) {
                throw e;
            }
        }
    }

    private static String tail(Path file) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(0, f.length() - TAIL_BYTES);
            byte[] bytes = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
