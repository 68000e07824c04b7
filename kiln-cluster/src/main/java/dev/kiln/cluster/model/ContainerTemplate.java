package dev.kiln.cluster.model;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One container of a Pod: its name (unique in the Pod), image, command and arguments, environment, ports, resources
 * and working directory.
 */
public record ContainerTemplate(String name, String image, List<String> command, List<String> args,
                                Map<String, String> env, List<ContainerPort> ports, ResourceRequirements resources,
                                Optional<String> workingDir) {
    public ContainerTemplate {
        name = Defaults.string(name);
        image = Defaults.string(image);
        command = Defaults.list(command, "command");
        args = Defaults.list(args, "args");
        env = Defaults.map(env);
        ports = Defaults.list(ports, "ports");
        resources = Defaults.or(resources, ResourceRequirements.NONE);
        workingDir = Defaults.optional(workingDir);
    }

    /** A container with just a name and an image. */
    public static ContainerTemplate of(String name, String image) {
        return new ContainerTemplate(name, image, List.of(), List.of(), Map.of(), List.of(), ResourceRequirements.NONE,
                Optional.empty());
    }

    public ContainerTemplate withResources(ResourceRequirements resources) {
        return new ContainerTemplate(name, image, command, args, env, ports, resources, workingDir);
    }

    public ContainerTemplate withPorts(List<ContainerPort> ports) {
        return new ContainerTemplate(name, image, command, args, env, ports, resources, workingDir);
    }
}
