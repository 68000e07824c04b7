package dev.kiln.api.agent;

/** The body of {@code GET /v1/health}: {@code {"status":"ok"}} and nothing else (it needs no token). */
public record Health(String status) {
    public Health {
        status = Wire.text(status, "status");
    }

    public static Health ok() {
        return new Health("ok");
    }
}
