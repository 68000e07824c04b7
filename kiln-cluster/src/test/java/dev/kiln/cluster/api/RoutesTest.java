package dev.kiln.cluster.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.cluster.model.Deployment;
import dev.kiln.cluster.model.Kind;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Request lines to calls, and the label selector syntax, without a server. */
class RoutesTest {
    static final String B = "/apis/kiln.dev/v1/";

    @Test
    void everyCall() {
        assertThat(Routes.parse("GET", "/healthz", Map.of())).isEqualTo(new ApiCall.Health());
        assertThat(Routes.parse("GET", B + "nodepools/", Map.of()))
                .isEqualTo(new ApiCall.List(Kind.NODE_POOL, LabelSelector.ALL, Optional.empty(), Optional.empty()));
        assertThat(Routes.parse("GET", B + "pods", Map.of("watch", "true", "resourceVersion", "12")))
                .isEqualTo(new ApiCall.Watch(Kind.POD, OptionalLong.of(12)));
        assertThat(Routes.parse("GET", B + "pods", Map.of("watch", "true")))
                .isEqualTo(new ApiCall.Watch(Kind.POD, OptionalLong.empty()));
        assertThat(Routes.parse("GET", B + "hosts/h1", Map.of())).isEqualTo(new ApiCall.Get(Kind.HOST, "h1"));
        assertThat(Routes.parse("POST", B + "nodes", Map.of())).isEqualTo(new ApiCall.Create(Kind.NODE));
        assertThat(Routes.parse("PUT", B + "deployments/web", Map.of()))
                .isEqualTo(new ApiCall.Update(Kind.DEPLOYMENT, "web"));
        assertThat(Routes.parse("PUT", B + "deployments/web", Map.of("apply", "true")))
                .isEqualTo(new ApiCall.Apply(Kind.DEPLOYMENT, "web"));
        assertThat(Routes.parse("PUT", B + "nodepools/w/scale", Map.of()))
                .isEqualTo(new ApiCall.Scale(Kind.NODE_POOL, "w"));
        assertThat(Routes.parse("DELETE", B + "events/e1", Map.of())).isEqualTo(new ApiCall.Delete(Kind.EVENT, "e1"));
        assertThat(Routes.parse("GET", B + "pods/web-x/log", Map.of("container", "c", "follow", "true")))
                .isEqualTo(new ApiCall.PodLog("web-x", Optional.of("c"), true));
        assertThat(Routes.parse("GET", B + "events", Map.of("involvedKind", "po", "involvedName", "web-x")))
                .isEqualTo(new ApiCall.List(Kind.EVENT, LabelSelector.ALL, Optional.of(Kind.POD),
                        Optional.of("web-x")));
    }

    @Test
    void problems() {
        assertThat(catchThrowableOfType(ApiProblem.class, () -> Routes.parse("PATCH", B + "pods/x", Map.of())))
                .satisfies(p -> {
                    assertThat(p.status()).isEqualTo(405);
                    assertThat(p.allow()).containsExactly("GET", "PUT", "DELETE");
                });
        assertThat(catchThrowableOfType(ApiProblem.class, () -> Routes.parse("GET", B + "np", Map.of())).hint())
                .contains("did you mean /apis/kiln.dev/v1/nodepools?");
        assertThat(catchThrowableOfType(ApiProblem.class, () -> Routes.parse("GET", B + "pods//x", Map.of()))
                .status()).isEqualTo(404);
        assertThat(catchThrowableOfType(ApiProblem.class,
                () -> Routes.parse("GET", B + "pods", Map.of("involvedName", "x"))).status()).isEqualTo(400);
        assertThat(catchThrowableOfType(ApiProblem.class,
                () -> Routes.parse("GET", B + "pods", Map.of("watch", "true", "labelSelector", "a=b")))
                .getMessage()).isEqualTo("unknown query parameter 'labelSelector' for " + B + "pods");
        assertThat(catchThrowableOfType(ApiProblem.class,
                () -> Routes.parse("GET", B + "nodes/n/log", Map.of())).status()).isEqualTo(404);
    }

    @Test
    void labelSelectors() {
        LabelSelector s = LabelSelector.parse(" app = web , kiln.dev/tier==front");
        assertThat(s.labels()).isEqualTo(Map.of("app", "web", "kiln.dev/tier", "front"));
        assertThat(s.format()).isEqualTo("app=web,kiln.dev/tier=front");
        assertThat(LabelSelector.parse("")).isEqualTo(LabelSelector.ALL);
        assertThat(LabelSelector.parse("empty=").labels()).containsEntry("empty", "");

        Deployment web = Fixtures.deployment("web", 1, "web");
        assertThat(LabelSelector.parse("app=web").matches(web)).isTrue();
        assertThat(LabelSelector.parse("app=api").matches(web)).isFalse();
        assertThat(LabelSelector.ALL.matches(web)).isTrue();

        for (String bad : new String[] {"app", "app!=web", "!app", "app in (a,b)", "=web", "app=web,", "a=b,a=c",
                "app=we b"}) {
            assertThat(catchThrowableOfType(ApiProblem.class, () -> LabelSelector.parse(bad)))
                    .as(bad).isNotNull().extracting(ApiProblem::status).isEqualTo(400);
        }
    }
}
