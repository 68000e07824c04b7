package dev.kiln.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads an import source into a {@link Staging} directory and verifies all of it: every blob's size and sha256
 * against its descriptor, every JSON document (capped, then parsed strictly), the platform, every layer's
 * entries ({@link LayerScanner}) and its uncompressed digest against the config's {@code rootfs.diff_ids}.
 * It never touches the store; {@link OciImageStore} commits what it returns.
 */
final class ImageImporter {
    /** One verified image: the blobs it needs are all in the staging directory. */
    record Staged(Digest manifest, String mediaType, long size, Digest config, List<ImageRef.Tagged> names,
                  List<Digest> blobs) {
    }

    private static final Pattern HEX_NAME = Pattern.compile("(?:.*/)?(?:sha256/)?([0-9a-f]{64})(?:\\.json)?");

    private final Staging staging;
    private final ImageLimits limits;

    private ImageImporter(Staging staging, ImageLimits limits) {
        this.staging = staging;
        this.limits = limits;
    }

    static List<Staged> stage(Path source, Staging staging, ImageLimits limits) {
        return new ImageImporter(staging, limits).stageAll(source);
    }

    private List<Staged> stageAll(Path source) {
        Path layout;
        if (Files.isDirectory(source)) {
            layout = source;
        } else if (Files.isRegularFile(source)) {
            if (!ArchiveExtractor.looksLikeArchive(source)) {
                throw new ImageException(ImageError.UNSUPPORTED_FORMAT, source + " is neither a tar nor a gzip file");
            }
            layout = staging.sourceDir();
            ArchiveExtractor.extract(source, layout);
        } else {
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "no such file or directory: " + source,
                    "pass the path of an OCI layout directory or an image archive");
        }
        boolean oci = Files.isRegularFile(layout.resolve("index.json"));
        boolean dockerSave = Files.isRegularFile(layout.resolve("manifest.json"));
        if (oci) {
            return fromOciLayout(layout, dockerSave ? dockerSaveNames(layout) : Map.of());
        }
        if (dockerSave) {
            return fromDockerSave(layout);
        }
        throw new ImageException(ImageError.UNSUPPORTED_FORMAT, source
                + " has neither index.json (an OCI image layout) nor manifest.json (a docker save archive)");
    }

    private List<Staged> fromOciLayout(Path layout, Map<Digest, List<ImageRef.Tagged>> dockerNames) {
        Path layoutFile = layout.resolve("oci-layout");
        if (!Files.isRegularFile(layoutFile)) {
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "the OCI layout has index.json but no oci-layout file");
        }
        Oci.Layout version = Json.parse(Json.readCapped(layoutFile, limits.maxJsonBytes(), "oci-layout"), Oci.Layout.class, "oci-layout");
        if (version.imageLayoutVersion() == null || !version.imageLayoutVersion().startsWith("1.")) {
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "unsupported OCI layout version "
                    + version.imageLayoutVersion() + "; kiln reads version 1.x");
        }
        Oci.Index index = Json.parse(Json.readCapped(layout.resolve("index.json"), limits.maxJsonBytes(), "index.json"),
                Oci.Index.class, "index.json");
        if (index.schemaVersion() == null || index.schemaVersion() != 2) {
            throw new ImageException(ImageError.MALFORMED_JSON, "index.json has schemaVersion " + index.schemaVersion() + ", not 2");
        }
        List<Staged> images = new ArrayList<>();
        Set<String> otherPlatforms = new LinkedHashSet<>();
        for (Oci.Descriptor entry : index.manifests()) {
            if (entry.platform() != null && !entry.platform().isLinuxAmd64()) {
                otherPlatforms.add(entry.platform().toString());
                continue;
            }
            Oci.Descriptor manifest = pickManifest(layout, entry);
            Staged image = stageImage(layout, manifest, namesOf(entry));
            if (image.names().isEmpty() && dockerNames.containsKey(image.config())) {
                image = new Staged(image.manifest(), image.mediaType(), image.size(), image.config(),
                        dockerNames.get(image.config()), image.blobs());
            }
            images.add(image);
        }
        if (images.isEmpty()) {
            if (!otherPlatforms.isEmpty()) {
                throw new ImageException(ImageError.UNSUPPORTED_PLATFORM, "the layout has no linux/amd64 image, only "
                        + String.join(", ", otherPlatforms));
            }
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "index.json lists no image");
        }
        return images;
    }

    /** An index entry's names: containerd's full name, else a ref.name that is a full reference (not just a tag). */
    private static List<ImageRef.Tagged> namesOf(Oci.Descriptor entry) {
        String full = entry.annotations().get(Oci.CONTAINERD_NAME);
        if (full != null) {
            return List.of(ImageRef.parseTagged(full));
        }
        String ref = entry.annotations().get(Oci.REF_NAME);
        if (ref != null && (ref.contains(":") || ref.contains("/"))) {
            return List.of(ImageRef.parseTagged(ref));
        }
        return List.of();
    }

    /** The manifest an index entry stands for; for an image index, its linux/amd64 manifest. */
    private Oci.Descriptor pickManifest(Path layout, Oci.Descriptor entry) {
        String type = String.valueOf(entry.mediaType());
        if (Oci.MANIFESTS.contains(type)) {
            return entry;
        }
        if (!Oci.INDEXES.contains(type)) {
            throw new ImageException(ImageError.UNSUPPORTED_MEDIA_TYPE, "index.json lists a " + type
                    + ", which is neither an image manifest nor an image index");
        }
        Digest digest = digestOf(entry, "image index");
        Oci.Index nested = Json.parse(stageJson(layout, entry, "image index " + digest), Oci.Index.class, "image index " + digest);
        Set<String> platforms = new LinkedHashSet<>();
        for (Oci.Descriptor candidate : nested.manifests()) {
            if (candidate.platform() != null && candidate.platform().isLinuxAmd64()
                    && Oci.MANIFESTS.contains(String.valueOf(candidate.mediaType()))) {
                return candidate;
            }
            platforms.add(String.valueOf(candidate.platform()));
        }
        throw new ImageException(ImageError.UNSUPPORTED_PLATFORM, "image index " + digest
                + " has no linux/amd64 image, only " + String.join(", ", platforms));
    }

    private Staged stageImage(Path layout, Oci.Descriptor manifestDescriptor, List<ImageRef.Tagged> names) {
        Digest digest = digestOf(manifestDescriptor, "manifest");
        String what = "manifest " + digest;
        Oci.Manifest manifest = Json.parse(stageJson(layout, manifestDescriptor, what), Oci.Manifest.class, what);
        if (manifest.schemaVersion() == null || manifest.schemaVersion() != 2) {
            throw new ImageException(ImageError.MALFORMED_JSON, what + " has schemaVersion " + manifest.schemaVersion() + ", not 2");
        }
        if (manifest.mediaType() != null && !manifest.mediaType().equals(manifestDescriptor.mediaType())) {
            throw new ImageException(ImageError.MALFORMED_JSON, what + " says it is a " + manifest.mediaType()
                    + ", but index.json says " + manifestDescriptor.mediaType());
        }
        Oci.Descriptor configDescriptor = manifest.config();
        if (configDescriptor == null || !Oci.CONFIGS.contains(String.valueOf(configDescriptor.mediaType()))) {
            throw new ImageException(ImageError.UNSUPPORTED_MEDIA_TYPE, what + " has no image config (config media type "
                    + (configDescriptor == null ? "missing" : configDescriptor.mediaType()) + ")");
        }
        Digest config = digestOf(configDescriptor, "config");
        String configWhat = "config " + config;
        Oci.Config parsed = Json.parse(stageJson(layout, configDescriptor, configWhat), Oci.Config.class, configWhat);
        List<Digest> blobs = new ArrayList<>(List.of(digest, config));
        LayerScanner scanner = new LayerScanner();
        List<String> diffIds = diffIds(parsed, manifest.layers().size(), configWhat);
        for (int i = 0; i < manifest.layers().size(); i++) {
            Oci.Descriptor layer = manifest.layers().get(i);
            Digest layerDigest = digestOf(layer, "layer");
            String layerWhat = "layer " + (i + 1) + " (" + layerDigest + ")";
            boolean gzip = layerIsGzip(layer, layerWhat);
            Path staged = staging.stageExpected(blobFile(layout, layerDigest), layerDigest, layer.size(), layerWhat);
            checkDiffId(scanner.scan(staged, gzip, layerWhat), diffIds.get(i), layerWhat);
            blobs.add(layerDigest);
        }
        return new Staged(digest, manifestDescriptor.mediaType(), manifestDescriptor.size(), config, names, blobs);
    }

    private List<Staged> fromDockerSave(Path layout) {
        List<Staged> images = new ArrayList<>();
        for (Oci.DockerSaveEntry entry : dockerSaveEntries(layout)) {
            String configName = archivePath(entry.config(), "Config");
            Path configFile = layout.resolve(configName);
            long configSize = sizeOf(configFile, "config " + configName);
            if (configSize > limits.maxJsonBytes()) {
                throw new ImageException(ImageError.TOO_LARGE, "config " + configName + " is " + configSize
                        + " bytes, over the limit of " + limits.maxJsonBytes());
            }
            Digest config = staging.stageComputed(configFile, "config " + configName);
            checkNamedDigest(configName, config);
            String configWhat = "config " + config;
            Oci.Config parsed = Json.parse(Json.readCapped(staging.blob(config), limits.maxJsonBytes(), configWhat),
                    Oci.Config.class, configWhat);
            checkPlatform(parsed, configWhat);
            List<String> diffIds = diffIds(parsed, entry.layers().size(), configWhat);
            LayerScanner scanner = new LayerScanner();
            List<Oci.Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < entry.layers().size(); i++) {
                String layerName = archivePath(entry.layers().get(i), "Layers");
                Digest layer = staging.stageComputed(layout.resolve(layerName), "layer " + layerName);
                checkNamedDigest(layerName, layer);
                boolean gzip = startsWithGzipMagic(staging.blob(layer));
                String layerWhat = "layer " + (i + 1) + " (" + layerName + ")";
                checkDiffId(scanner.scan(staging.blob(layer), gzip, layerWhat), diffIds.get(i), layerWhat);
                layers.add(Oci.Descriptor.of(gzip ? Oci.LAYER_TAR_GZIP : Oci.LAYER_TAR, layer, staging.blobs().get(layer)));
            }
            var manifest = new Oci.Manifest(2, Oci.MANIFEST,
                    Oci.Descriptor.of(Oci.CONFIG, config, staging.blobs().get(config)), layers, Map.of());
            byte[] bytes = Json.bytes(manifest);
            Digest digest = staging.stageBytes(bytes);
            List<Digest> blobs = new ArrayList<>(List.of(digest, config));
            layers.forEach(l -> blobs.add(Digest.parse(l.digest())));
            List<ImageRef.Tagged> names = entry.repoTags().stream().map(ImageRef::parseTagged).toList();
            images.add(new Staged(digest, Oci.MANIFEST, bytes.length, config, names, blobs));
        }
        if (images.isEmpty()) {
            throw new ImageException(ImageError.UNSUPPORTED_FORMAT, "manifest.json lists no image");
        }
        return images;
    }

    /** Names from docker save's manifest.json, for an OCI layout whose index.json has none (Docker 25 and later). */
    private Map<Digest, List<ImageRef.Tagged>> dockerSaveNames(Path layout) {
        Map<Digest, List<ImageRef.Tagged>> names = new LinkedHashMap<>();
        for (Oci.DockerSaveEntry entry : dockerSaveEntries(layout)) {
            Matcher m = HEX_NAME.matcher(archivePath(entry.config(), "Config"));
            if (m.matches() && !entry.repoTags().isEmpty()) {
                names.put(new Digest(m.group(1)), entry.repoTags().stream().map(ImageRef::parseTagged).toList());
            }
        }
        return names;
    }

    private List<Oci.DockerSaveEntry> dockerSaveEntries(Path layout) {
        byte[] json = Json.readCapped(layout.resolve("manifest.json"), limits.maxJsonBytes(), "manifest.json");
        Oci.DockerSaveEntry[] entries = Json.parse(json, Oci.DockerSaveEntry[].class, "manifest.json");
        for (Oci.DockerSaveEntry entry : entries) {
            if (entry == null || entry.config() == null) {
                throw new ImageException(ImageError.MALFORMED_JSON, "manifest.json has an entry without Config");
            }
        }
        return List.of(entries);
    }

    private byte[] stageJson(Path layout, Oci.Descriptor descriptor, String what) {
        Digest digest = digestOf(descriptor, what);
        if (descriptor.size() > limits.maxJsonBytes()) {
            throw new ImageException(ImageError.TOO_LARGE, what + " is " + descriptor.size()
                    + " bytes, over the limit of " + limits.maxJsonBytes());
        }
        Path staged = staging.stageExpected(blobFile(layout, digest), digest, descriptor.size(), what);
        return Json.readCapped(staged, limits.maxJsonBytes(), what);
    }

    private static Digest digestOf(Oci.Descriptor descriptor, String what) {
        if (!Digest.isDigest(descriptor.digest())) {
            throw new ImageException(ImageError.MALFORMED_JSON, "the " + what + " descriptor has the digest '"
                    + descriptor.digest() + "'; kiln accepts sha256:<64 lower-case hex digits> only");
        }
        if (descriptor.size() == null || descriptor.size() < 0) {
            throw new ImageException(ImageError.MALFORMED_JSON, "the " + what + " descriptor " + descriptor.digest()
                    + " has no valid size");
        }
        return Digest.parse(descriptor.digest());
    }

    private static boolean layerIsGzip(Oci.Descriptor layer, String what) {
        String type = String.valueOf(layer.mediaType());
        if (!layer.urls().isEmpty()) {
            throw new ImageException(ImageError.UNSUPPORTED_MEDIA_TYPE, what + " is a foreign layer (it has urls)");
        }
        if (Oci.GZIP_LAYERS.contains(type)) {
            return true;
        }
        if (Oci.TAR_LAYERS.contains(type)) {
            return false;
        }
        throw new ImageException(ImageError.UNSUPPORTED_MEDIA_TYPE, what + " has the media type " + type);
    }

    private static List<String> diffIds(Oci.Config config, int layers, String what) {
        checkPlatform(config, what);
        List<String> ids = config.rootfs() == null || config.rootfs().diffIds() == null ? List.of() : config.rootfs().diffIds();
        if (ids.size() != layers) {
            throw new ImageException(ImageError.MALFORMED_JSON, what + " lists " + ids.size()
                    + " layer diff ids (rootfs.diff_ids), but the manifest has " + layers + " layers");
        }
        return ids;
    }

    private static void checkPlatform(Oci.Config config, String what) {
        if (!"linux".equals(config.os()) || !"amd64".equals(config.architecture())) {
            throw new ImageException(ImageError.UNSUPPORTED_PLATFORM, what + " is for " + config.os() + "/"
                    + config.architecture() + ", not linux/amd64");
        }
    }

    private static void checkDiffId(Digest actual, String expected, String what) {
        if (!actual.toString().equals(expected)) {
            throw new ImageException(ImageError.DIGEST_MISMATCH, what + " unpacks to " + actual
                    + ", but the config's rootfs.diff_ids says " + expected);
        }
    }

    /** docker save names files by their digest ({@code <hex>.json}, {@code blobs/sha256/<hex>}): check that it holds. */
    private static void checkNamedDigest(String name, Digest actual) {
        Matcher m = HEX_NAME.matcher(name);
        if (m.matches() && (name.endsWith(".json") || name.contains("sha256/")) && !m.group(1).equals(actual.hex())) {
            throw new ImageException(ImageError.DIGEST_MISMATCH, name + " has the digest " + actual
                    + ", not the one its name says");
        }
    }

    private static String archivePath(String name, String field) {
        if (name == null || name.isEmpty()) {
            throw new ImageException(ImageError.MALFORMED_JSON, "manifest.json has an empty " + field + " path");
        }
        return EntryPath.normalize(name, "manifest.json " + field);
    }

    private Path blobFile(Path layout, Digest digest) {
        return layout.resolve("blobs").resolve("sha256").resolve(digest.hex());
    }

    private static long sizeOf(Path file, String what) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new ImageException(ImageError.MISSING_BLOB, what + " is missing from the archive");
        }
    }

    private static boolean startsWithGzipMagic(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(2);
            return head.length == 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b;
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
