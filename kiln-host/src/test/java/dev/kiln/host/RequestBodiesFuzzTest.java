package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The host API's request bodies come from any local user of the socket: each decodes to its record or throws a
 * {@link HostException} (BAD_REQUEST or UNKNOWN_FIELD, a 400) with a message; anything else would be a 500 and is a
 * finding. Inputs: {@code src/test/resources/dev/kiln/host/RequestBodiesFuzzTestInputs/} (docs/ARCHITECTURE.md,
 * "Hostile input").
 */
class RequestBodiesFuzzTest {
    private static final ObjectMapper JSON = Json.mapper();

    @FuzzTest(maxDuration = "60s")
    void vmCreateRequest(byte[] data) {
        decodesOrFailsClearly(data, VmCreateRequest.class);
    }

    @FuzzTest(maxDuration = "60s")
    void containerRunRequest(byte[] data) {
        decodesOrFailsClearly(data, ContainerRunRequest.class);
    }

    @Test
    void aNullOrTrailingBodyIsABadRequestNotANull() {
        // found by fuzzing: the body "null" decoded to a null request, which the services dereferenced (a 500)
        for (String body : List.of("null", "null,\"memory\":1", "{} {}", "{\"name\":\"a\"} garbage")) {
            assertThatThrownBy(() -> RequestBodies.decode(JSON, body, VmCreateRequest.class))
                    .as(body).isInstanceOfSatisfying(HostException.class,
                            e -> assertThat(e.code()).isEqualTo(HostError.BAD_REQUEST));
        }
        assertThat(RequestBodies.decode(JSON, "", VmCreateRequest.class)).isEqualTo(VmCreateRequest.empty());
        assertThat(RequestBodies.decode(JSON, " {\"vcpus\": 2}\n", VmCreateRequest.class).vcpus()).contains(2);
    }

    private static <T> void decodesOrFailsClearly(byte[] data, Class<T> type) {
        T value;
        try {
            value = RequestBodies.decode(JSON, new String(data, StandardCharsets.UTF_8), type);
        } catch (HostException e) {
            assertThat(e.code()).isIn(HostError.BAD_REQUEST, HostError.UNKNOWN_FIELD);
            assertThat(e.code().httpStatus()).isBetween(400, 499);
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(value).isNotNull();
    }
}
