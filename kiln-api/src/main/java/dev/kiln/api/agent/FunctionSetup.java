package dev.kiln.api.agent;

import dev.kiln.api.ApiException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes the guest a slot of one function version: the agent starts the function's runtime on the code uploaded
 * before ({@code PUT /v1/function/code}) and serves it the Lambda Runtime API.
 *
 * @param runtime     {@code python3} (kiln's own bootstrap, run by python3), {@code provided} (the code's own
 *                    executable {@code bootstrap}, as Lambda's custom runtimes) or {@code image} (the image's own
 *                    entrypoint speaks the Runtime API); {@code command} overrides the default command of any
 * @param image       the runtime's OCI image (pulled from {@code registry}, or the agent's default registry): the
 *                    runtime runs in a container of it, code at {@code /var/task}; empty: as a process of the guest
 * @param command     the runtime's command line, if not the runtime's default
 * @param timeout     how long one invocation's handler may run (Lambda: 1 s to 15 min)
 * @param initTimeout how long the runtime may take to load the handler
 * @param imageDisk   a block device of the guest (e.g. {@code /dev/vdb}) that holds {@code image} already unpacked,
 *                    as the host built it: an ext4 file system with {@code rootfs/}, {@code config.json} (the OCI
 *                    image config) and {@code digest}; the agent mounts it read-only instead of pulling the image
 */
public record FunctionSetup(String name, String version, String arn, String region, String runtime, String handler,
                            int memoryMb, Duration timeout, Duration initTimeout, Map<String, String> environment,
                            Optional<String> image, Optional<String> registry, List<String> command,
                            Optional<String> imageDisk) {
    /** A setup without an image disk. */
    public FunctionSetup(String name, String version, String arn, String region, String runtime, String handler,
                         int memoryMb, Duration timeout, Duration initTimeout, Map<String, String> environment,
                         Optional<String> image, Optional<String> registry, List<String> command) {
        this(name, version, arn, region, runtime, handler, memoryMb, timeout, initTimeout, environment, image,
                registry, command, Optional.empty());
    }

    /** This setup with the image read from {@code device} instead of pulled. */
    public FunctionSetup withImageDisk(String device) {
        return new FunctionSetup(name, version, arn, region, runtime, handler, memoryMb, timeout, initTimeout,
                environment, image, registry, command, Optional.of(device));
    }

    public FunctionSetup {
        name = Wire.text(name, "name");
        version = Wire.text(version, "version");
        arn = Wire.text(arn, "arn");
        region = Wire.text(region, "region");
        runtime = Wire.text(runtime, "runtime");
        handler = Wire.text(handler, "handler");
        timeout = Wire.required(timeout, "timeout");
        initTimeout = Wire.required(initTimeout, "initTimeout");
        environment = Wire.map(environment);
        image = Wire.opt(image);
        registry = Wire.opt(registry);
        command = Wire.list(command);
        imageDisk = Wire.opt(imageDisk);
        imageDisk.ifPresent(d -> {
            if (!d.matches("/dev/vd[a-z]")) {
                throw new ApiException("imageDisk must be a virtio disk of the guest (/dev/vdX), not " + d,
                        "leave it out to pull the image");
            }
        });
    }
}
