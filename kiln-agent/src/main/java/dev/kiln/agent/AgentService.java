package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.ContainerInfo;
import dev.kiln.api.agent.ContainerSpec;
import dev.kiln.api.agent.GuestFacts;
import dev.kiln.api.agent.ImageInfo;
import dev.kiln.api.agent.PullRequest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the API does beyond one component: a create validates the spec against the VM first (nothing is pulled
 * or created for a spec that cannot run), then pulls, unpacks and starts.
 */
final class AgentService {
    private final AgentConfig config;
    private final ImagePuller puller;
    private final ImageStore images;
    private final ContainerRuntime runtime;
    private final HostFacts facts;
    private final Supplier<Duration> startup;
    private final String version;

    AgentService(AgentConfig config, ImagePuller puller, ImageStore images, ContainerRuntime runtime,
                 HostFacts facts, Supplier<Duration> startup, String version) {
        this.config = config;
        this.puller = puller;
        this.images = images;
        this.runtime = runtime;
        this.facts = facts;
        this.startup = startup;
        this.version = version;
    }

    ContainerRuntime runtime() {
        return runtime;
    }

    GuestFacts facts() {
        return new GuestFacts(facts.kernel(), facts.memTotalBytes(), facts.memAvailableBytes(), facts.cpus(),
                facts.uptime(), version, startup.get(), runtime.cgroupVersion(), runtime.rootfsMode(),
                runtime.runtimeVersion());
    }

    ImageInfo pull(PullRequest request) {
        ImagePuller.PulledImage image = puller.pull(request.image(), registry(request.registry()));
        images.rootfs(image);
        return info(image);
    }

    ContainerInfo create(ContainerSpec spec) {
        RuntimeSpecs.validate(spec, facts.memTotalBytes());
        ImagePuller.PulledImage image = puller.pull(spec.image(), registry(spec.registry()));
        Path rootfs = images.rootfs(image);
        return runtime.start(spec, image, rootfs);
    }

    /**
     * Starts a container on an image the host already unpacked onto a disk, mounted at {@code imageDir}
     * ({@code rootfs/}, {@code config.json}: the OCI image config, {@code digest}): nothing is pulled or unpacked.
     */
    ContainerInfo createFromImageDisk(ContainerSpec spec, Path imageDir) {
        RuntimeSpecs.validate(spec, facts.memTotalBytes());
        OciDocuments.ImageConfigFile config;
        String digest;
        try {
            config = Json.mapper().copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(imageDir.resolve("config.json").toFile(), OciDocuments.ImageConfigFile.class);
            digest = Files.readString(imageDir.resolve("digest")).strip();
        } catch (IOException e) {
            throw new AgentException(AgentErrorCode.BAD_IMAGE, "the image disk at " + imageDir + " has no readable"
                    + " config.json and digest: " + e.getMessage());
        }
        ImagePuller.PulledImage image = new ImagePuller.PulledImage(spec.image(), digest, digest,
                ImageConfig.from(config.config()), List.of(), 0);
        return runtime.start(spec, image, imageDir.resolve("rootfs"));
    }

    private URI registry(Optional<String> given) {
        return given.map(AgentConfig::registryUri).or(config::registry)
                .orElseThrow(() -> new AgentException(AgentErrorCode.BAD_REQUEST, "no registry given",
                        "set 'registry' in the request, or start the agent with --registry URL"));
    }

    private static ImageInfo info(ImagePuller.PulledImage image) {
        return new ImageInfo(image.reference(), image.digest(), image.configDigest(),
                image.layers().stream().map(ImagePuller.Layer::digest).toList(), image.sizeBytes(),
                image.layersFetched(), image.layers().size() - image.layersFetched());
    }
}
