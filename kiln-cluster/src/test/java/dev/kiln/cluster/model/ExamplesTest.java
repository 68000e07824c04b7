package dev.kiln.cluster.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example manifests in examples/cluster/ parse and validate. */
class ExamplesTest {
    private static List<Resource> read(String name) throws IOException {
        Path root = Path.of(System.getProperty("kiln.project.root", ".."));
        Path file = root.resolve("examples/cluster").resolve(name);
        List<Resource> resources = Manifests.read(Files.readString(file), file.getFileName().toString());
        resources.forEach(Validation::check);
        return resources;
    }

    @Test
    void nodePool() throws IOException {
        NodePool pool = (NodePool) read("nodepool.yaml").getFirst();
        assertThat(pool.name()).isEqualTo("workers");
        assertThat(pool.spec().replicas()).isEqualTo(2);
        assertThat(pool.spec().profile()).isEqualTo(NodeProfile.of(1, 512L << 20));
        assertThat(pool.spec().driver()).isEqualTo("auto");
    }

    @Test
    void deployment() throws IOException {
        Deployment web = (Deployment) read("deployment.yaml").getFirst();
        assertThat(web.name()).isEqualTo("web");
        assertThat(web.spec().replicas()).isEqualTo(2);
        assertThat(web.spec().selector()).isEqualTo(Map.of("app", "web"));
        ContainerTemplate httpd = web.spec().template().spec().containers().getFirst();
        assertThat(httpd.name()).isEqualTo("httpd");
        assertThat(httpd.image()).isEqualTo("busybox-httpd:latest");
        assertThat(httpd.ports()).containsExactly(ContainerPort.tcp(8080));
        assertThat(httpd.resources().requests()).isEqualTo(Resources.of("100m", "32Mi"));
    }
}
