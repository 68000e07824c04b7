package dev.kiln.host.fn;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A function as kiln keeps it (its code is stored beside it): Lambda's configuration fields that kiln honours.
 *
 * @param runtime             Lambda's runtime name ({@code python3.12}, {@code provided.al2023}); empty for images
 * @param packageType         {@code Zip} or {@code Image}
 * @param imageUri            the image of an {@code Image} function (a tag in this host's image store)
 * @param reservedConcurrency the most slots it may have at once; empty: the host's limit
 * @param revision            counts every change of code or configuration; slots run one revision
 * @param revisionId          Lambda's RevisionId: changes with every revision
 */
public record FunctionRecord(String name, Optional<String> runtime, String handler, String role, String description,
                             int memoryMb, int timeoutSeconds, Map<String, String> environment, String packageType,
                             Optional<String> imageUri, Optional<Integer> reservedConcurrency, String codeSha256,
                             long codeSize, Instant lastModified, long revision, String revisionId) {
    public FunctionRecord {
        environment = Map.copyOf(environment);
        runtime = runtime == null ? Optional.empty() : runtime;
        imageUri = imageUri == null ? Optional.empty() : imageUri;
        reservedConcurrency = reservedConcurrency == null ? Optional.empty() : reservedConcurrency;
    }
}
