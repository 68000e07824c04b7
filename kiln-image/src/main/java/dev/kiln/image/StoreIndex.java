package dev.kiln.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The store's {@code index.json} as a value: one entry per name ({@code org.opencontainers.image.ref.name} =
 * canonical {@code repository:tag}), and one entry without a name for an image that has none. A name is on at
 * most one entry; an image has either named entries or exactly one unnamed one. Changes return a new index.
 */
record StoreIndex(List<Entry> entries) {
    record Entry(Digest digest, String mediaType, long size, Optional<String> name) {
    }

    StoreIndex {
        entries = List.copyOf(entries);
    }

    static StoreIndex empty() {
        return new StoreIndex(List.of());
    }

    static StoreIndex read(Path file, long cap) {
        Oci.Index index = Json.parse(Json.readCapped(file, cap, "the store's index.json"), Oci.Index.class,
                "the store's index.json " + file);
        List<Entry> entries = new ArrayList<>();
        for (Oci.Descriptor d : index.manifests()) {
            Optional<String> name = Optional.ofNullable(d.annotations().get(Oci.REF_NAME))
                    .map(n -> ImageRef.parseTagged(n).toString());
            entries.add(new Entry(Digest.parse(d.digest()), d.mediaType(), d.size(), name));
        }
        return new StoreIndex(entries);
    }

    /** Writes the index beside {@code file} and renames it over, so readers see the old or the new index whole. */
    void write(Path file) {
        List<Oci.Descriptor> manifests = entries.stream().map(e -> new Oci.Descriptor(e.mediaType(),
                e.digest().toString(), e.size(), e.name().map(n -> Map.of(Oci.REF_NAME, n)).orElse(Map.of()),
                Oci.Platform.LINUX_AMD64, List.of())).toList();
        byte[] json = Json.bytes(new Oci.Index(2, Oci.INDEX, manifests, Map.of()));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(java.nio.ByteBuffer.wrap(json));
            ch.force(true);
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot write " + tmp + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new ImageException(ImageError.STORE_FAILED, "cannot replace " + file + ": " + e.getMessage(), e);
        }
    }

    /** Image manifests, each once, in index order. */
    List<Digest> images() {
        Set<Digest> out = new LinkedHashSet<>();
        entries.forEach(e -> out.add(e.digest()));
        return List.copyOf(out);
    }

    List<String> namesOf(Digest digest) {
        return entries.stream().filter(e -> e.digest().equals(digest)).flatMap(e -> e.name().stream()).toList();
    }

    Optional<Entry> byName(String name) {
        return entries.stream().filter(e -> e.name().equals(Optional.of(name))).findFirst();
    }

    Optional<Entry> byDigest(Digest digest) {
        return entries.stream().filter(e -> e.digest().equals(digest)).findFirst();
    }

    /**
     * Adds an image with its names. A name another image had moves here (reported in {@code moved}); an image left
     * without names keeps an unnamed entry, so nothing is deleted by an import.
     */
    StoreIndex withImage(Digest digest, String mediaType, long size, List<String> names, List<String> moved) {
        List<Entry> out = new ArrayList<>(entries);
        for (String name : names) {
            Optional<Entry> old = byName(name);
            if (old.isPresent() && !old.get().digest().equals(digest)) {
                out.remove(old.get());
                moved.add(name);
                Digest orphan = old.get().digest();
                if (out.stream().noneMatch(e -> e.digest().equals(orphan))) {
                    out.add(new Entry(orphan, old.get().mediaType(), old.get().size(), Optional.empty()));
                }
            }
        }
        StoreIndex current = new StoreIndex(out);
        for (String name : names) {
            if (current.byName(name).isEmpty()) {
                out.add(new Entry(digest, mediaType, size, Optional.of(name)));
            }
        }
        if (names.isEmpty()) {
            if (out.stream().noneMatch(e -> e.digest().equals(digest))) {
                out.add(new Entry(digest, mediaType, size, Optional.empty()));
            }
        } else {
            out.removeIf(e -> e.digest().equals(digest) && e.name().isEmpty());
        }
        return new StoreIndex(out);
    }

    StoreIndex withoutName(String name) {
        return new StoreIndex(entries.stream().filter(e -> !e.name().equals(Optional.of(name))).toList());
    }

    StoreIndex withoutImage(Digest digest) {
        return new StoreIndex(entries.stream().filter(e -> !e.digest().equals(digest)).toList());
    }
}
