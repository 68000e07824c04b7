package dev.kiln.cluster.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;

/**
 * The strict Jackson configuration of manifests, shared by JSON and YAML: records and {@code Optional} map directly,
 * an absent number is 0 (not an error: absent means default), unknown fields and duplicate keys are errors, numbers are not read from strings (nor integers from decimals),
 * times are ISO-8601 text, and empty values are left out of the output.
 */
final class ManifestMapper {
    static final ObjectMapper JSON = configure(JsonMapper.builder()).build();
    static final ObjectMapper YAML = configure(YAMLMapper.builder(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .disable(YAMLGenerator.Feature.SPLIT_LINES)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .stringQuotingChecker(new Quoting())
            .build())).build();

    private ManifestMapper() {
    }

    /**
     * Jackson's quoting rules, checked: a key or value is written plain only when the YAML reader reads that plain
     * form back as the same string. Jackson's own rules miss some ({@code 0x1F} reads back as 31, {@code .inf} as a
     * number, {@code "(: !"} as malformed).
     */
    static final class Quoting extends StringQuotingChecker.Default {
        private static final YAMLFactory PLAIN = new YAMLFactory();

        @Override
        public boolean needToQuoteName(String name) {
            return super.needToQuoteName(name) || !readsBack(name + ": v\n", JsonToken.FIELD_NAME, name);
        }

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || !readsBack("k: " + value + "\n", JsonToken.VALUE_STRING, value);
        }

        /** Whether {@code yaml}, a one-entry mapping, has {@code text} as its key or value token. */
        private static boolean readsBack(String yaml, JsonToken token, String text) {
            try (JsonParser p = PLAIN.createParser(yaml)) {
                JsonToken first = p.nextToken();
                JsonToken key = p.nextToken();
                if (token == JsonToken.FIELD_NAME) {
                    return first == JsonToken.START_OBJECT && key == token && text.equals(p.currentName())
                            && p.nextToken() == JsonToken.VALUE_STRING && p.nextToken() == JsonToken.END_OBJECT;
                }
                return first == JsonToken.START_OBJECT && key == JsonToken.FIELD_NAME && p.nextToken() == token
                        && text.equals(p.getText()) && p.nextToken() == JsonToken.END_OBJECT;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }

    private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> B configure(B builder) {
        return builder.addModule(new Jdk8Module())
                .addModule(new JavaTimeModule())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_EMPTY,
                        JsonInclude.Include.ALWAYS))
                .withCoercionConfig(LogicalType.Integer, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Float, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
                .withCoercionConfig(LogicalType.Boolean, c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail));
    }
}
