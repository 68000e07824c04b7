package dev.kiln.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

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
