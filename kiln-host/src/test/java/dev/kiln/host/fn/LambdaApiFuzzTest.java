package dev.kiln.host.fn;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * A CreateFunction body, as the AWS SDKs and CLI (or anyone else) send it: it decodes to a name and a change, or
 * fails with a LambdaException that the SDKs map to InvalidParameterValueException; any other exception would reach
 * the caller as a 500 ServiceException and is a finding. Inputs: {@code LambdaApiFuzzTestInputs/}.
 */
class LambdaApiFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void createFunctionBody(byte[] data) {
        LambdaApi.CreateFunction request;
        try {
            request = LambdaApi.createRequest(LambdaApi.parseBody(data));
        } catch (LambdaException e) {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.type()).isEqualTo("InvalidParameterValueException");
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(request.name()).isNotNull();
        assertThat(request.change()).isNotNull();
    }
}
