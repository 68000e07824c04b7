package dev.kiln.api.agent;

/**
 * The slot's function: its name and version, the phase of its runtime ({@code INITIALIZING}, {@code IDLE},
 * {@code BUSY}, {@code FAILED}) and the last lines it printed.
 */
public record FunctionState(String name, String version, String phase, String outputTail) {
}
