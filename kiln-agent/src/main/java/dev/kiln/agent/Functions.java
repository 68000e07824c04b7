package dev.kiln.agent;

import dev.kiln.agent.function.FunctionConfig;
import dev.kiln.agent.function.FunctionHost;
import dev.kiln.agent.function.ProcessLauncher;
import dev.kiln.agent.function.RuntimeLauncher;
import dev.kiln.agent.function.SlotException;
import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.FunctionSetup;
import dev.kiln.api.agent.FunctionState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * The guest as a function slot: the code ({@code STATE/function/task}, unpacked from a zip), at most one function
 * and its runtime ({@link FunctionHost}), and the Runtime API on {@code runtimeApi} for it.
 */
final class Functions implements AutoCloseable {
    /** Lambda's limit for a function's unzipped code. */
    static final long MAX_UNZIPPED_BYTES = 250L * 1024 * 1024;

    private final Path dir;
    private final InetSocketAddress runtimeApi;
    private final Clock clock;
    private final AgentService service;
    private FunctionHost current;
    private FunctionSetup setup;

    Functions(Path stateDir, InetSocketAddress runtimeApi, Clock clock, AgentService service) {
        this.service = service;
        this.dir = stateDir.resolve("function");
        this.runtimeApi = runtimeApi;
        this.clock = clock;
    }

    Path taskRoot() {
        return dir.resolve("task");
    }

    /** Replaces the code with the zip's contents; on any error the old code stays. */
    synchronized void putCode(InputStream zip, long maxZipBytes) {
        try {
            Files.createDirectories(dir);
            Path upload = Files.createTempFile(dir, "code-", ".zip");
            Path staging = dir.resolve("task.new");
            try {
                try (OutputStream out = Files.newOutputStream(upload)) {
                    long n = zip.transferTo(out);
                    if (n > maxZipBytes) {
                        throw new AgentException(AgentErrorCode.PAYLOAD_TOO_LARGE, "the code zip is larger than "
                                + maxZipBytes + " bytes");
                    }
                    if (n == 0) {
                        throw new AgentException(AgentErrorCode.BAD_REQUEST, "the body is empty; send the code as a zip");
                    }
                }
                Disk.deleteTree(staging);
                unzip(upload, staging);
                Path old = dir.resolve("task.old");
                Disk.deleteTree(old);
                if (Files.exists(taskRoot())) {
                    Files.move(taskRoot(), old, StandardCopyOption.ATOMIC_MOVE);
                }
                Files.move(staging, taskRoot(), StandardCopyOption.ATOMIC_MOVE);
                Disk.deleteTree(old);
            } finally {
                Files.deleteIfExists(upload);
                Disk.deleteTree(staging);
            }
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot store the code: " + e.getMessage(), e);
        }
    }

    private static void unzip(Path zip, Path into) throws IOException {
        Files.createDirectories(into);
        long total = 0;
        ZipFile file;
        try {
            file = ZipFile.builder().setPath(zip).get();
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "the code is not a zip file: " + e.getMessage());
        }
        try (file) {
            for (ZipArchiveEntry entry : java.util.Collections.list(file.getEntries())) {
                Path target = into.resolve(entry.getName()).normalize();
                if (!target.startsWith(into) || entry.getName().startsWith("/")) {
                    throw new AgentException(AgentErrorCode.PATH_ESCAPES_ROOT, "the zip entry '" + entry.getName()
                            + "' points outside the code directory");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(target);
                    continue;
                }
                if (entry.isUnixSymlink()) {
                    throw new AgentException(AgentErrorCode.BAD_REQUEST, "the zip entry '" + entry.getName()
                            + "' is a symbolic link; kiln takes regular files only");
                }
                Files.createDirectories(target.getParent());
                try (InputStream in = file.getInputStream(entry); OutputStream out = Files.newOutputStream(target)) {
                    byte[] buf = new byte[65536];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        total += n;
                        if (total > MAX_UNZIPPED_BYTES) {
                            throw new AgentException(AgentErrorCode.PAYLOAD_TOO_LARGE, "the code unzips to more than "
                                    + MAX_UNZIPPED_BYTES + " bytes (Lambda's limit)");
                        }
                        out.write(buf, 0, n);
                    }
                }
                int mode = entry.getUnixMode();
                boolean executable = (mode & 0111) != 0 || entry.getName().equals("bootstrap");
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(executable ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
    }

    /** Starts the function's runtime (replacing any earlier one); init goes on in the background. */
    synchronized FunctionState start(FunctionSetup setup) {
        if (!Files.isDirectory(taskRoot())) {
            throw new AgentException(AgentErrorCode.CONFLICT, "no code yet", "upload the code first: PUT /v1/function/code");
        }
        boolean inContainer = setup.image().isPresent();
        List<String> command = command(setup, inContainer);
        if (setup.runtime().equals("python3")) {
            bootstrapPy();
        }
        try {
            Files.createDirectories(runtimeDir()); // mounted at /var/runtime in a container, whatever the runtime
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot create " + runtimeDir() + ": "
                    + e.getMessage(), e);
        }
        stopLocked();
        var config = new FunctionConfig(setup.name(), setup.version(), setup.arn(), setup.region(), setup.handler(),
                setup.memoryMb(), setup.timeout(), setup.initTimeout(), setup.environment(),
                inContainer ? "/var/task" : taskRoot().toString());
        RuntimeLauncher launcher = inContainer
                ? new ContainerLauncher(service, setup.image().orElseThrow(), setup.registry(), command, taskRoot(),
                        runtimeDir(), setup.memoryMb() * 1024L * 1024L, setup.imageDisk().map(this::mountImageDisk))
                : new ProcessLauncher(command, taskRoot());
        try {
            current = FunctionHost.start(config, launcher, clock, runtimeApi);
        } catch (UncheckedIOException e) {
            throw new AgentException(AgentErrorCode.START_FAILED, e.getMessage(), e);
        }
        this.setup = setup;
        return stateLocked();
    }

    /** The runtime's command: as given, else the runtime's own, with paths as the guest or the container sees them. */
    private List<String> command(FunctionSetup setup, boolean inContainer) {
        if (!setup.command().isEmpty()) {
            return setup.command();
        }
        String runtimeDir = inContainer ? "/var/runtime" : runtimeDir().toString();
        String taskDir = inContainer ? "/var/task" : taskRoot().toString();
        return switch (setup.runtime()) {
            case "python3" -> List.of("python3", runtimeDir + "/bootstrap.py");
            case "provided" -> {
                if (!Files.isExecutable(taskRoot().resolve("bootstrap"))) {
                    throw new AgentException(AgentErrorCode.START_FAILED, "runtime 'provided' needs an executable"
                            + " 'bootstrap' at the top of the code zip");
                }
                yield List.of(taskDir + "/bootstrap");
            }
            case "image" -> {
                if (!inContainer) {
                    throw new AgentException(AgentErrorCode.BAD_REQUEST, "runtime 'image' needs an image");
                }
                yield List.of();
            }
            default -> throw new AgentException(AgentErrorCode.BAD_REQUEST, "unknown runtime '" + setup.runtime()
                    + "'; use python3, provided or image, or give a command");
        };
    }

    /**
     * Mounts the image disk read-only at {@code STATE/function/image} (once: a slot keeps its disk) and returns the
     * mount point.
     */
    private Path mountImageDisk(String device) {
        Path target = dir.resolve("image");
        try {
            Files.createDirectories(target);
            if (Files.isRegularFile(target.resolve("digest"))) {
                return target;
            }
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot create " + target + ": " + e.getMessage(), e);
        }
        RootfsProvider.Command r = RootfsProvider.Command.run(List.of("mount", "-t", "ext4", "-o", "ro", device, target.toString()));
        if (r.exitCode() != 0) {
            throw new AgentException(AgentErrorCode.START_FAILED, "cannot mount the image disk " + device + ": "
                    + r.output().strip(), "check that the host attached the image disk");
        }
        return target;
    }

    private Path runtimeDir() {
        return dir.resolve("runtime");
    }

    /** kiln's Python bootstrap, written next to the code. */
    private Path bootstrapPy() {
        Path file = runtimeDir().resolve("bootstrap.py");
        try (InputStream in = FunctionHost.class.getResourceAsStream("bootstrap.py")) {
            Files.createDirectories(file.getParent());
            Files.write(file, in.readAllBytes());
            return file;
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot write the Python bootstrap: " + e.getMessage(), e);
        }
    }

    synchronized FunctionState state() {
        if (current == null) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "this guest runs no function", "POST /v1/function");
        }
        return stateLocked();
    }

    private FunctionState stateLocked() {
        return new FunctionState(setup.name(), setup.version(), current.phase().name(), current.outputTail());
    }

    /** Runs one invocation in the function's slot. */
    FunctionHost.Outcome invoke(byte[] event, Optional<String> clientContext) {
        FunctionHost fn;
        synchronized (this) {
            if (current == null) {
                throw new AgentException(AgentErrorCode.NOT_FOUND, "this guest runs no function", "POST /v1/function");
            }
            fn = current;
        }
        try {
            return fn.invoke(event, clientContext);
        } catch (SlotException e) {
            throw new AgentException(e.reason() == SlotException.Reason.BUSY ? AgentErrorCode.CONFLICT
                    : AgentErrorCode.RUNTIME_ERROR, e.getMessage(), "one invocation at a time per slot");
        }
    }

    synchronized void stop() {
        if (current == null) {
            throw new AgentException(AgentErrorCode.NOT_FOUND, "this guest runs no function", "POST /v1/function");
        }
        stopLocked();
    }

    private void stopLocked() {
        if (current != null) {
            current.close();
            current = null;
            setup = null;
        }
    }

    @Override
    public synchronized void close() {
        stopLocked();
    }
}
