package dev.kiln.vmm.firecracker;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Firecracker v1.16.1 API spec (Swagger 2.0, Apache 2.0, a copy in test resources) as a request and response
 * validator. Objects in the spec do not forbid extra fields, but Firecracker does (serde's deny_unknown_fields), so
 * the validator treats an unknown field as an error.
 */
final class FirecrackerSpec {
    static final String RESOURCE = "firecracker-api-v1.16.1.yaml";
    private static final Pattern FLOW_ENUM = Pattern.compile("(?m)^(\\s*enum:\\s*)\\[([^\\]\"']*)\\]\\s*$");

    private static volatile FirecrackerSpec shared;

    private final OpenApiInteractionValidator validator;

    private FirecrackerSpec(String specText) {
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(specText)
                .withLevelResolver(LevelResolver.create()
                        .withLevel("validation.schema.additionalProperties", ValidationReport.Level.ERROR)
                        .build())
                .build();
    }

    /** The validator over the fixed spec; built once, it is immutable and thread-safe. */
    static FirecrackerSpec get() {
        FirecrackerSpec s = shared;
        if (s == null) {
            synchronized (FirecrackerSpec.class) {
                if (shared == null) {
                    shared = new FirecrackerSpec(fixedText());
                }
                s = shared;
            }
        }
        return s;
    }

    /** A validator over the spec text exactly as published (for the test that shows why the fix is needed). */
    static FirecrackerSpec unfixed() {
        return new FirecrackerSpec(rawText());
    }

    static String rawText() {
        try (InputStream in = FirecrackerSpec.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + RESOURCE + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The spec with every unquoted flow-style enum quoted: YAML 1.1 reads the bare {@code Off} of
     * {@code Logger.level} as the boolean false, which would make the level "Off" invalid.
     */
    static String fixedText() {
        Matcher m = FLOW_ENUM.matcher(rawText());
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            StringBuilder values = new StringBuilder();
            for (String v : m.group(2).split(",")) {
                if (!values.isEmpty()) {
                    values.append(", ");
                }
                values.append('"').append(v.strip()).append('"');
            }
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + "[" + values + "]"));
        }
        m.appendTail(out);
        return out.toString();
    }

    ValidationReport validateRequest(FcCall call) {
        return validateRequest(call.method().name(), call.path(), call.body().map(Object::toString));
    }

    ValidationReport validateRequest(String method, String path, Optional<String> body) {
        SimpleRequest.Builder b = new SimpleRequest.Builder(Request.Method.valueOf(method), path);
        body.ifPresent(text -> b.withBody(text).withContentType("application/json"));
        return validator.validateRequest(b.build());
    }

    ValidationReport validateResponse(String method, String path, int status, Optional<String> body) {
        SimpleResponse.Builder b = SimpleResponse.Builder.status(status);
        body.ifPresent(text -> b.withBody(text).withContentType("application/json"));
        return validator.validateResponse(path, Request.Method.valueOf(method), b.build());
    }
}
