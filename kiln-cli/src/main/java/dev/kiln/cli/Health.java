package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** The daemon's answer to {@code GET /v1/health}. Fields it leaves out read as empty strings or zero. */
public record Health(String status, String version, long pid, String stateDir, String socket, String driver,
                     String accelerator, String acceleratorReason, String guestImage, String bridge, String subnet,
                     int vms) {

    static Health fromJson(JsonNode n) {
        return new Health(n.path("status").asText(""), n.path("version").asText(""), n.path("pid").asLong(0),
                n.path("stateDir").asText(""), n.path("socket").asText(""), n.path("driver").asText(""),
                n.path("accelerator").asText(""), n.path("acceleratorReason").asText(""),
                n.path("guestImage").asText(""), n.path("bridge").asText(""), n.path("subnet").asText(""),
                n.path("vms").asInt(0));
    }
}
