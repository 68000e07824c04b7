package dev.kiln.vmm.firecracker;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.api.RateLimiter;
import dev.kiln.api.TokenBucket;
import dev.kiln.vmm.firecracker.FcRequest.CreateSnapshot;
import dev.kiln.vmm.firecracker.FcRequest.FlushMetrics;
import dev.kiln.vmm.firecracker.FcRequest.LogLevel;
import dev.kiln.vmm.firecracker.FcRequest.PatchDrive;
import dev.kiln.vmm.firecracker.FcRequest.PatchNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.PatchVm;
import dev.kiln.vmm.firecracker.FcRequest.PutLogger;
import dev.kiln.vmm.firecracker.FcRequest.PutMmds;
import dev.kiln.vmm.firecracker.FcRequest.PutNetworkInterface;
import dev.kiln.vmm.firecracker.FcRequest.SendCtrlAltDel;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every request kiln can build is valid against Firecracker's published API spec, and the validator has teeth. */
class FcContractTest {
    private final FirecrackerSpec spec = FirecrackerSpec.get();

    static Stream<FcRequest> samples() {
        return FcSamples.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void everyRequestValidatesAgainstTheSpec(FcRequest request) {
        FcCall call = FcCall.callOf(request);
        assertValid(spec.validateRequest(call), call);
    }

    @Test
    void samplesCoverEveryVariant() {
        Set<Class<?>> variants = Arrays.stream(FcRequest.class.getPermittedSubclasses()).collect(Collectors.toSet());
        Set<Class<?>> sampled = FcSamples.all().stream().map(Object::getClass).collect(Collectors.toSet());
        assertThat(sampled).isEqualTo(variants);
    }

    @Test
    void everyLogLevelValidatesIncludingOff() {
        for (LogLevel level : LogLevel.values()) {
            FcCall call = FcCall.callOf(PutLogger.to(FcSamples.DIR.resolve("fc.log"), level));
            assertValid(spec.validateRequest(call), call);
        }
    }

    @Test
    void theSpecAsPublishedReadsOffAsABooleanWhichIsWhyItIsFixed() {
        assertThat(FirecrackerSpec.fixedText()).contains("enum: [\"Error\", \"Warning\", \"Info\", \"Debug\", \"Trace\", \"Off\"]");
        FirecrackerSpec unfixed = FirecrackerSpec.unfixed();
        FcCall off = FcCall.callOf(PutLogger.to(FcSamples.DIR.resolve("fc.log"), LogLevel.OFF));
        FcCall info = FcCall.callOf(PutLogger.to(FcSamples.DIR.resolve("fc.log"), LogLevel.INFO));
        assertThat(unfixed.validateRequest(info).hasErrors()).isFalse();
        assertThat(unfixed.validateRequest(off).hasErrors()).isTrue();
        assertThat(unfixed.validateRequest(off).getMessages()).anySatisfy(m -> assertThat(m.getMessage()).contains("enum"));
    }

    @Test
    void rateLimitersUseTheSpecsShapeAndLeaveOutDisabledBuckets() {
        FcCall call = FcCall.callOf(new PutNetworkInterface("eth0", "tap0", Optional.empty(), FcSamples.bothBuckets(),
                new RateLimiter(Optional.of(TokenBucket.of(0, Duration.ofMillis(100))),
                        Optional.of(TokenBucket.of(100, Duration.ZERO)))));
        JsonNode body = call.body().orElseThrow();
        assertThat(body.path("rx_rate_limiter").toString()).isEqualTo(
                "{\"bandwidth\":{\"size\":10000000,\"one_time_burst\":50000000,\"refill_time\":100},"
                        + "\"ops\":{\"size\":1000,\"one_time_burst\":200,\"refill_time\":1000}}");
        assertThat(body.has("tx_rate_limiter")).isFalse();
        assertThat(body.has("guest_mac")).isFalse();
        assertThat(call.path()).isEqualTo("/network-interfaces/eth0");
    }

    @Test
    void aPatchSendsADisabledBucketAsSizeZeroToRemoveTheLimit() {
        RateLimiter removeBandwidth = new RateLimiter(Optional.of(TokenBucket.of(0, Duration.ZERO)), Optional.empty());
        FcCall call = FcCall.callOf(new PatchNetworkInterface("eth0", Optional.of(removeBandwidth), Optional.empty()));
        assertThat(call.body().orElseThrow().toString())
                .isEqualTo("{\"iface_id\":\"eth0\",\"rx_rate_limiter\":{\"bandwidth\":{\"size\":0,\"refill_time\":0}}}");
        assertValid(spec.validateRequest(call), call);
    }

    @Test
    void eachCallKnowsWhenFirecrackerAcceptsIt() {
        for (FcRequest r : FcSamples.all()) {
            AllowedWhen expected = switch (r) {
                case PatchDrive p -> AllowedWhen.POST_BOOT;
                case PatchNetworkInterface p -> AllowedWhen.POST_BOOT;
                case PatchVm p -> AllowedWhen.POST_BOOT;
                case CreateSnapshot c -> AllowedWhen.POST_BOOT;
                case SendCtrlAltDel s -> AllowedWhen.POST_BOOT;
                case PutMmds m -> AllowedWhen.ALWAYS;
                case FlushMetrics f -> AllowedWhen.ALWAYS;
                default -> AllowedWhen.PRE_BOOT;
            };
            assertThat(FcCall.callOf(r).allowedWhen()).as(r.toString()).isEqualTo(expected);
        }
    }

    // ---- the validator rejects what Firecracker would reject ---------------------------------------------------

    @Test
    void aWrongFieldNameIsRejected() {
        assertThat(spec.validateRequest("PUT", "/machine-config",
                Optional.of("{\"vcpus\":2,\"mem_size_mib\":512}")).hasErrors()).isTrue();
        assertThat(spec.validateRequest("PUT", "/boot-source",
                Optional.of("{\"kernel_image_path\":\"/k\",\"bootargs\":\"console=ttyS0\"}")).hasErrors()).isTrue();
    }

    @Test
    void aWrongTypeIsRejected() {
        assertThat(spec.validateRequest("PUT", "/machine-config",
                Optional.of("{\"vcpu_count\":2,\"mem_size_mib\":\"512\"}")).hasErrors()).isTrue();
        assertThat(spec.validateRequest("PUT", "/vsock",
                Optional.of("{\"guest_cid\":2,\"uds_path\":\"/v.sock\"}")).hasErrors()).isTrue();
        assertThat(spec.validateRequest("PATCH", "/vm", Optional.of("{\"state\":\"Stopped\"}")).hasErrors()).isTrue();
    }

    @Test
    void aCorrectHandWrittenBodyPassesSoTheNegativeTestsMeanSomething() {
        assertValid(spec.validateRequest("PUT", "/machine-config",
                Optional.of("{\"vcpu_count\":2,\"mem_size_mib\":512}")), null);
    }

    // ---- responses ---------------------------------------------------------------------------------------------

    @Test
    void responsesOfTheSpecValidate() {
        assertValid(spec.validateResponse("PUT", "/drives/rootfs", 204, Optional.empty()), null);
        assertValid(spec.validateResponse("PUT", "/drives/rootfs", 400,
                Optional.of("{\"fault_message\":\"Invalid block device path\"}")), null);
        assertValid(spec.validateResponse("GET", "/", 200, Optional.of(
                "{\"app_name\":\"Firecracker\",\"id\":\"vm-7f3a\",\"state\":\"Not started\",\"vmm_version\":\"1.16.1\"}")),
                null);
        assertValid(spec.validateResponse("GET", "/machine-config", 200, Optional.of(
                "{\"vcpu_count\":2,\"mem_size_mib\":512,\"smt\":false,\"track_dirty_pages\":true,\"huge_pages\":\"None\"}")),
                null);
    }

    @Test
    void aBadResponseIsRejected() {
        assertThat(spec.validateResponse("GET", "/", 200, Optional.of(
                "{\"app_name\":\"Firecracker\",\"id\":\"x\",\"state\":\"Stopped\",\"vmm_version\":\"1.16.1\"}")).hasErrors())
                .isTrue();
        assertThat(spec.validateResponse("GET", "/", 200, Optional.of("{\"app_name\":\"Firecracker\"}")).hasErrors())
                .isTrue();
    }

    private static void assertValid(ValidationReport report, FcCall call) {
        assertThat(report.hasErrors())
                .as(() -> (call == null ? "" : call.describe() + " " + call.body().map(Object::toString).orElse(""))
                        + "\n" + report)
                .isFalse();
    }
}
