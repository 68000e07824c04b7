package dev.kiln.image;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store on disk: {@code oci-layout}, {@code index.json}, {@code blobs/sha256/<hex>} (an OCI image layout any
 * OCI tool can read), plus {@code .kiln.lock} (the writers' lock) and {@code .kiln-tmp/} (imports being staged).
 */
final class OciImageStore implements ImageStore {
    private static final Logger LOG = LoggerFactory.getLogger(OciImageStore.class);

    private final Path root;
    private final Path blobs;
    private final Path tmp;
    private final Path indexFile;
    private final Path lockFile;
    private final ImageLimits limits;

    private OciImageStore(Path root, ImageLimits limits) {
        this.root = root;
        this.blobs = root.resolve("blobs").resolve("sha256");
        this.tmp = root.resolve(".kiln-tmp");
        this.indexFile = root.resolve("index.json");
        this.lockFile = root.resolve(".kiln.lock");
        this.limits = limits;
    }

    static OciImageStore open(Path root, ImageLimits limits) {
        var store = new OciImageStore(root.toAbsolutePath().normalize(), limits);
        try {
            Files.createDirectories(store.blobs);
            Files.createDirectories(store.tmp);
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot create the image store " + root + ": " + e.getMessage(), e);
        }
        try (StoreLock _ = StoreLock.acquire(store.lockFile)) {
            Path layout = store.root.resolve("oci-layout");
            if (!Files.exists(layout)) {
                Files.write(layout, Json.bytes(new Oci.Layout(Oci.OCI_LAYOUT_VERSION)));
            }
            if (!Files.exists(store.indexFile)) {
                StoreIndex.empty().write(store.indexFile);
            }
            store.sweepStaging();
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot initialise the image store " + root + ": " + e.getMessage(), e);
        }
        return store;
    }

    @Override
    public Path root() {
        return root;
    }

    // ---- reads -------------------------------------------------------------------------------------------

    @Override
    public List<ImageSummary> list() {
        StoreIndex index = index();
        List<ImageSummary> out = new ArrayList<>();
        for (Digest digest : index.images()) {
            try {
                out.add(image(index, digest).summary(index.namesOf(digest)));
            } catch (ImageException e) {
                // readers take no lock: a remove may have deleted it since the index was read; skip it only then
                if (index().byDigest(digest).isPresent()) {
                    throw e;
                }
            }
        }
        return out;
    }

    @Override
    public ImageDetails inspect(String reference) {
        StoreIndex index = index();
        Digest digest = resolveDigest(index, reference);
        return image(index, digest).details(index.namesOf(digest));
    }

    @Override
    public ResolvedImage resolve(String reference) {
        StoreIndex index = index();
        StoredImage image = image(index, resolveDigest(index, reference));
        return new ResolvedImage(image.digest(), image.id(), image.imageConfig());
    }

    @Override
    public String pullReference(String reference) {
        StoreIndex index = index();
        Digest digest = resolveDigest(index, reference);
        Optional<String> named = switch (ImageRef.parse(reference)) {
            case ImageRef.Tagged t -> canonicalRepository(t.repository());
            case ImageRef.ByDigest d -> d.repository().flatMap(OciImageStore::canonicalRepository);
            case ImageRef.IdPrefix p -> Optional.empty();
        };
        String repository = named.or(() -> index.namesOf(digest).stream().findFirst()
                        .map(n -> n.substring(0, n.lastIndexOf(':'))))
                .orElseThrow(() -> new ImageException(ImageError.INVALID_REFERENCE, "image " + reference
                        + " has no name, and the registry serves images by name", "name it: kiln image import ... --tag NAME"));
        return repository + "@" + digest;
    }

    @Override
    public List<String> tags(String repository) {
        Optional<String> repo = canonicalRepository(repository);
        if (repo.isEmpty()) {
            return List.of();
        }
        String prefix = repo.get() + ":";
        return index().entries().stream().flatMap(e -> e.name().stream()).filter(n -> n.startsWith(prefix))
                .map(n -> n.substring(prefix.length())).sorted().toList();
    }

    @Override
    public Optional<StoredBlob> manifest(String repository, String tagOrDigest) {
        Optional<String> repo = canonicalRepository(repository);
        if (repo.isEmpty()) {
            return Optional.empty();
        }
        StoreIndex index = index();
        Optional<StoreIndex.Entry> entry;
        if (Digest.isDigest(tagOrDigest)) {
            Digest digest = Digest.parse(tagOrDigest);
            entry = index.byDigest(digest).filter(e -> inRepository(index.namesOf(digest), repo.get()));
        } else if (ImageRef.TAG.matcher(tagOrDigest).matches()) {
            entry = index.byName(repo.get() + ":" + tagOrDigest);
        } else {
            entry = Optional.empty();
        }
        return entry.map(e -> new StoredBlob(e.digest(), e.mediaType(), e.size(), blobs.resolve(e.digest().hex())));
    }

    @Override
    public Optional<StoredBlob> blob(String repository, Digest digest) {
        Optional<String> repo = canonicalRepository(repository);
        if (repo.isEmpty()) {
            return Optional.empty();
        }
        StoreIndex index = index();
        for (Digest image : index.images()) {
            if (!inRepository(index.namesOf(image), repo.get())) {
                continue;
            }
            for (Oci.Descriptor d : image(index, image).blobs()) {
                if (d.digest().equals(digest.toString())) {
                    return Optional.of(new StoredBlob(digest, d.mediaType(), d.size(), blobs.resolve(digest.hex())));
                }
            }
        }
        return Optional.empty();
    }

    // ---- writes ------------------------------------------------------------------------------------------

    @Override
    public ImportResult importFrom(Path source, List<String> tags) {
        List<String> extra = tags.stream().map(t -> ImageRef.parseTagged(t).toString()).distinct().toList();
        try (Staging staging = Staging.create(tmp)) {
            List<ImageImporter.Staged> images = ImageImporter.stage(source.toAbsolutePath(), staging, limits);
            if (!extra.isEmpty() && images.stream().map(ImageImporter.Staged::manifest).distinct().count() != 1) {
                throw new ImageException(ImageError.INVALID_REFERENCE, "cannot name " + extra + ": " + source
                        + " holds " + images.size() + " images", "import it without names, then use the names it has");
            }
            try (StoreLock _ = StoreLock.acquire(lockFile)) {
                return commit(staging, images, extra);
            }
        }
    }

    private ImportResult commit(Staging staging, List<ImageImporter.Staged> images, List<String> extra) {
        StoreIndex index = index();
        List<Path> added = new ArrayList<>();
        long bytes = 0;
        List<String> moved = new ArrayList<>();
        try {
            Set<Digest> needed = new LinkedHashSet<>();
            images.forEach(i -> needed.addAll(i.blobs()));
            for (Digest digest : needed) {
                Path target = blobs.resolve(digest.hex());
                if (!Files.exists(target)) {
                    Files.move(staging.blob(digest), target, StandardCopyOption.ATOMIC_MOVE);
                    added.add(target);
                    bytes += staging.blobs().get(digest);
                }
            }
            for (ImageImporter.Staged image : images) {
                List<String> names = new ArrayList<>(image.names().stream().map(ImageRef.Tagged::toString).toList());
                names.addAll(extra);
                index = index.withImage(image.manifest(), image.mediaType(), image.size(),
                        names.stream().distinct().toList(), moved);
            }
            index.write(indexFile);
        } catch (IOException | RuntimeException e) {
            added.forEach(OciImageStore::deleteQuietly);
            if (e instanceof ImageException ie) {
                throw ie;
            }
            throw new ImageException(ImageError.STORE_FAILED, "cannot add the image to the store: " + e.getMessage(), e);
        }
        StoreIndex committed = index;
        List<ImageSummary> summaries = images.stream().map(ImageImporter.Staged::manifest).distinct()
                .map(d -> image(committed, d).summary(committed.namesOf(d))).toList();
        return new ImportResult(summaries, added.size(), bytes, moved);
    }

    @Override
    public RemoveResult remove(String reference) {
        try (StoreLock _ = StoreLock.acquire(lockFile)) {
            StoreIndex index = index();
            ImageRef ref = ImageRef.parse(reference);
            Optional<String> name = switch (ref) {
                case ImageRef.Tagged t -> index.byName(t.toString()).map(e -> t.toString());
                case ImageRef.IdPrefix p -> index.byName(p.hex() + ":" + ImageRef.DEFAULT_TAG).flatMap(StoreIndex.Entry::name);
                case ImageRef.ByDigest d -> Optional.empty();
            };
            StoreIndex next;
            List<String> untagged;
            Digest digest;
            if (name.isPresent()) {
                digest = index.byName(name.get()).orElseThrow().digest();
                untagged = List.of(name.get());
                next = index.withoutName(name.get());
            } else {
                digest = resolveDigest(index, reference);
                untagged = index.namesOf(digest);
                next = index.withoutImage(digest);
            }
            List<Digest> deleted = next.byDigest(digest).isPresent() ? List.of() : List.of(digest);
            next.write(indexFile);
            long[] freed = collectGarbage(next);
            return new RemoveResult(untagged, deleted, (int) freed[0], freed[1]);
        }
    }

    /** Deletes every blob no image of {@code index} needs; returns {count, bytes}. Runs under the lock. */
    private long[] collectGarbage(StoreIndex index) {
        Set<String> keep = new HashSet<>();
        for (Digest image : index.images()) {
            try {
                image(index, image).blobs().forEach(d -> keep.add(Digest.parse(d.digest()).hex()));
            } catch (ImageException e) {
                LOG.warn("not collecting garbage: image {} cannot be read: {}", image, e.getMessage());
                return new long[] {0, 0};
            }
        }
        long count = 0;
        long bytes = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(blobs)) {
            for (Path file : files) {
                if (!keep.contains(file.getFileName().toString())) {
                    bytes += Files.size(file);
                    Files.delete(file);
                    count++;
                }
            }
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot collect unused blobs in " + blobs + ": " + e.getMessage(), e);
        }
        return new long[] {count, bytes};
    }

    // ---- helpers -----------------------------------------------------------------------------------------

    private StoreIndex index() {
        return StoreIndex.read(indexFile, limits.maxJsonBytes());
    }

    private StoredImage image(StoreIndex index, Digest digest) {
        StoreIndex.Entry entry = index.byDigest(digest).orElseThrow(() -> notFound(digest.toString(), index));
        return StoredImage.read(blobs, entry, limits);
    }

    private Digest resolveDigest(StoreIndex index, String reference) {
        ImageRef ref = ImageRef.parse(reference);
        return switch (ref) {
            case ImageRef.Tagged t -> index.byName(t.toString()).map(StoreIndex.Entry::digest)
                    .orElseThrow(() -> notFound(reference, index));
            case ImageRef.ByDigest d -> byDigest(index, d.digest())
                    .filter(found -> d.repository().isEmpty() || inRepository(index.namesOf(found), d.repository().get()))
                    .orElseThrow(() -> notFound(reference, index));
            case ImageRef.IdPrefix p -> index.byName(p.hex() + ":" + ImageRef.DEFAULT_TAG).map(StoreIndex.Entry::digest)
                    .orElseGet(() -> byPrefix(index, p.hex(), reference));
        };
    }

    /** A manifest digest, or an image id (config digest). */
    private Optional<Digest> byDigest(StoreIndex index, Digest digest) {
        if (index.byDigest(digest).isPresent()) {
            return Optional.of(digest);
        }
        return index.images().stream().filter(d -> image(index, d).id().equals(digest)).findFirst();
    }

    private Digest byPrefix(StoreIndex index, String hex, String reference) {
        List<Digest> matches = index.images().stream()
                .filter(d -> d.hex().startsWith(hex) || image(index, d).id().hex().startsWith(hex)).toList();
        if (matches.size() > 1) {
            throw new ImageException(ImageError.AMBIGUOUS_REFERENCE, "'" + reference + "' matches " + matches.size()
                    + " images: " + matches.stream().map(Digest::toString).toList());
        }
        return matches.stream().findFirst().orElseThrow(() -> notFound(reference, index));
    }

    private static boolean inRepository(List<String> names, String repository) {
        return names.stream().anyMatch(n -> n.startsWith(repository + ":"));
    }

    private static Optional<String> canonicalRepository(String repository) {
        try {
            return Optional.of(ImageRef.normalizeRepository(repository));
        } catch (ImageException e) {
            return Optional.empty();
        }
    }

    private static ImageException notFound(String reference, StoreIndex index) {
        String hint = ImageError.IMAGE_NOT_FOUND.defaultHint();
        try {
            if (ImageRef.parse(reference) instanceof ImageRef.Tagged t) {
                List<String> tags = index.entries().stream().flatMap(e -> e.name().stream())
                        .filter(n -> n.startsWith(t.repository() + ":")).toList();
                if (!tags.isEmpty()) {
                    hint = "the store has " + String.join(", ", tags) + "; " + hint;
                }
            }
        } catch (ImageException e) {
            // the hint stays general
        }
        return new ImageException(ImageError.IMAGE_NOT_FOUND, "no image '" + reference + "' in the store", hint);
    }

    /** Removes staging directories of processes that are gone (a crash during an import). */
    private void sweepStaging() throws IOException {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(tmp, "import-*")) {
            for (Path dir : dirs) {
                String[] parts = dir.getFileName().toString().split("-");
                boolean alive = parts.length > 1 && parts[1].matches("\\d+")
                        && ProcessHandle.of(Long.parseLong(parts[1])).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    Staging.deleteTree(dir);
                }
            }
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", file, e.getMessage());
        }
    }
}
