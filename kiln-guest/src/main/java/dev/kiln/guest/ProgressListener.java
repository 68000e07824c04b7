package dev.kiln.guest;

/** Receives one human-readable line per step of a guest image build. */
@FunctionalInterface
public interface ProgressListener {
    void step(String message);

    /** A listener that discards every message. */
    static ProgressListener silent() {
        return message -> { };
    }
}
