package dev.kiln.api.agent;

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
 */
public record FunctionSetup(String name, String version, String arn, String region, String runtime, String handler,
                            int memoryMb, Duration timeout, Duration initTimeout, Map<String, String> environment,
                            Optional<String> image, Optional<String> registry, List<String> command) {
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
    }
}
