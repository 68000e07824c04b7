package dev.kiln.cluster.model;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import dev.kiln.cluster.ClusterException;
import java.io.IOException;
import java.util.Collection;
import java.util.List;
import java.util.function.ToLongFunction;

/** Jackson mapping of quantities: typed in the records, strings (or plain numbers) in manifests. */
final class QuantityJson {
    private QuantityJson() {
    }

    /** Writes {@link Resources} as {@code {cpu: "500m", memory: "256Mi"}}. */
    static final class ResourcesSerializer extends StdSerializer<Resources> {
        ResourcesSerializer() {
            super(Resources.class);
        }

        @Override
        public void serialize(Resources value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeStartObject();
            gen.writeStringField("cpu", Quantity.formatCpu(value.cpuMillis()));
            gen.writeStringField("memory", Quantity.formatMemory(value.memoryBytes()));
            gen.writeEndObject();
        }
    }

    /** Reads {@code {cpu: ..., memory: ...}}; either may be absent (zero); any other field is an error. */
    static final class ResourcesDeserializer extends StdDeserializer<Resources> {
        private static final List<String> FIELDS = List.of("cpu", "memory");

        ResourcesDeserializer() {
            super(Resources.class);
        }

        @Override
        public Resources deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonToken token = p.currentToken();
            if (token == JsonToken.START_OBJECT) {
                token = p.nextToken();
            }
            if (token != JsonToken.FIELD_NAME && token != JsonToken.END_OBJECT) {
                return (Resources) ctxt.handleUnexpectedToken(Resources.class, p);
            }
            long cpu = 0;
            long memory = 0;
            for (; token == JsonToken.FIELD_NAME; token = p.nextToken()) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "cpu" -> cpu = quantity(p, ctxt, Quantity::cpu, Resources.class, field);
                    case "memory" -> memory = quantity(p, ctxt, Quantity::memory, Resources.class, field);
                    default -> ctxt.handleUnknownProperty(p, this, Resources.class, field);
                }
            }
            return new Resources(cpu, memory);
        }

        @Override
        public Collection<Object> getKnownPropertyNames() {
            return List.copyOf(FIELDS);
        }
    }

    /** Writes a byte count as a memory quantity string. */
    static final class MemorySerializer extends StdSerializer<Long> {
        MemorySerializer() {
            super(Long.class);
        }

        @Override
        public void serialize(Long value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(Quantity.formatMemory(value));
        }
    }

    /** Reads a memory quantity string (or plain number of bytes). */
    static final class MemoryDeserializer extends StdDeserializer<Long> {
        MemoryDeserializer() {
            super(Long.class);
        }

        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return quantity(p, ctxt, Quantity::memory, Long.class, null);
        }
    }

    /** One scalar as a quantity; a bad value becomes a mapping error whose cause carries the message. */
    private static long quantity(JsonParser p, DeserializationContext ctxt, ToLongFunction<String> parse,
                                 Class<?> owner, String field) throws IOException {
        JsonToken token = p.currentToken();
        if (token == JsonToken.VALUE_NULL) {
            return 0;
        }
        try {
            if (token != JsonToken.VALUE_STRING && token != JsonToken.VALUE_NUMBER_INT
                    && token != JsonToken.VALUE_NUMBER_FLOAT) {
                ctxt.handleUnexpectedToken(String.class, p);
            }
            try {
                return parse.applyAsLong(p.getText());
            } catch (ClusterException e) {
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        } catch (JsonMappingException e) {
            throw field == null ? e : JsonMappingException.wrapWithPath(e, owner, field);
        }
    }
}
