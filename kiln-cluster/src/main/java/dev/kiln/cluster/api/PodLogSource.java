package dev.kiln.cluster.api;

import dev.kiln.cluster.model.Pod;
import java.io.InputStream;
import java.util.Optional;

/**
 * Where the API server reads a Pod's container output for {@code GET /apis/kiln.dev/v1/pods/<name>/log}; the node
 * runtime provides it. Without one the server answers 501.
 */
public interface PodLogSource {
    /**
     * The output of one container of {@code pod} (its only container when {@code container} is empty). With
     * {@code follow} the stream stays open and yields new output until the container ends or the stream is closed;
     * the server closes it when the client hangs up.
     *
     * @throws dev.kiln.cluster.ClusterException NOT_FOUND for an unknown container, INVALID when the pod has several
     *                                           containers and none was named, UNAVAILABLE when its node cannot be
     *                                           reached
     */
    InputStream open(Pod pod, Optional<String> container, boolean follow);
}
