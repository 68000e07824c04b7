package dev.kiln.image;

import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/** One image as read back from the store's blobs: its manifest and config, already verified on import. */
record StoredImage(Digest digest, String mediaType, long manifestSize, Oci.Descriptor configDescriptor, Oci.Config config,
                   List<Oci.Descriptor> layers) {

    static StoredImage read(Path blobs, StoreIndex.Entry entry, ImageLimits limits) {
        String what = "stored manifest " + entry.digest();
        Oci.Manifest manifest = Json.parse(Json.readCapped(blobs.resolve(entry.digest().hex()), limits.maxJsonBytes(), what),
                Oci.Manifest.class, what);
        Digest configDigest = Digest.parse(manifest.config().digest());
        String configWhat = "stored config " + configDigest;
        Oci.Config config = Json.parse(Json.readCapped(blobs.resolve(configDigest.hex()), limits.maxJsonBytes(), configWhat),
                Oci.Config.class, configWhat);
        return new StoredImage(entry.digest(), entry.mediaType(), entry.size(), manifest.config(), config, manifest.layers());
    }

    Digest id() {
        return Digest.parse(configDescriptor.digest());
    }

    /** Manifest, config and layers: every blob the image needs. */
    List<Oci.Descriptor> blobs() {
        List<Oci.Descriptor> out = new ArrayList<>();
        out.add(Oci.Descriptor.of(mediaType, digest, manifestSize));
        out.add(configDescriptor);
        out.addAll(layers);
        return out;
    }

    long totalSize() {
        return blobs().stream().mapToLong(Oci.Descriptor::size).sum();
    }

    List<LayerInfo> layerInfos() {
        return layers.stream().map(l -> new LayerInfo(Digest.parse(l.digest()), l.mediaType(), l.size())).toList();
    }

    ImageSummary summary(List<String> names) {
        return new ImageSummary(id(), digest, names, created(), totalSize());
    }

    ImageDetails details(List<String> names) {
        return new ImageDetails(digest, id(), mediaType, names, imageConfig(), layerInfos(), totalSize());
    }

    ImageConfig imageConfig() {
        Oci.RunConfig run = config.config() == null
                ? new Oci.RunConfig(null, null, null, null, null, null, null) : config.config();
        Map<String, String> labels = new LinkedHashMap<>();
        if (run.labels() != null) {
            run.labels().forEach((k, v) -> {
                if (k != null && v != null) {
                    labels.put(k, v);
                }
            });
        }
        return new ImageConfig(config.os(), config.architecture(), created(), orEmpty(run.entrypoint()),
                orEmpty(run.cmd()), orEmpty(run.env()), nonBlank(run.workingDir()), nonBlank(run.user()),
                run.exposedPorts() == null ? List.of() : List.copyOf(new TreeSet<>(run.exposedPorts().keySet())), labels);
    }

    private Optional<Instant> created() {
        if (config.created() == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(OffsetDateTime.parse(config.created()).toInstant());
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static List<String> orEmpty(List<String> list) {
        return list == null ? List.of() : list.stream().filter(s -> s != null).toList();
    }

    private static Optional<String> nonBlank(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
