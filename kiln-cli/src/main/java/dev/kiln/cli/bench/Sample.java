package dev.kiln.cli.bench;

import java.util.Map;
import java.util.Optional;

/**
 * One FunctionBench invocation as {@code kiln bench functionbench} measured it, as SeBS records one.
 *
 * @param workload     the workload's name ({@code matmul})
 * @param memoryMb     the function's memory size
 * @param mode         what the run asked for: {@code cold} (a new sandbox forced) or {@code warm}
 * @param rep          the repetition, from 0
 * @param cold         what the sandbox's marker file said: true when this invocation was the sandbox's first
 * @param start        how the sandbox was started: {@code fresh} (a VM booted), {@code pool} (a pre-booted VM),
 *                     {@code snapshot} (a clone of the revision's snapshot) or {@code warm} (an idle slot)
 * @param inFunctionMs the handler's own time for its computation ({@code latency_s}), what FunctionBench reports
 * @param providerMs   the handler invocation as the runtime timed it (Lambda's "duration")
 * @param clientMs     end to end at the client: request sent to answer read
 * @param initMs       the runtime's initialization (import of the handler) on a cold start
 * @param phases       the cold start's phases in ms (VMM start, kernel boot, agent, code, runtime init, ...)
 * @param peakRssKb    the sandbox's peak resident memory (the runtime process's maximum RSS)
 * @param problem      empty when the invocation succeeded, its output passed the workload's check and its cold
 *                     flag matched the mode; else what was wrong (such samples are kept but left out of the medians)
 */
public record Sample(String workload, int memoryMb, String mode, int rep, boolean cold, String start,
                     double inFunctionMs, double providerMs, double clientMs, Optional<Double> initMs,
                     Map<String, Double> phases, long peakRssKb, Optional<String> problem) {
    public Sample {
        phases = Map.copyOf(phases);
        initMs = initMs == null ? Optional.empty() : initMs;
        problem = problem == null ? Optional.empty() : problem;
    }

    /** Whether the sample counts towards the medians. */
    public boolean valid() {
        return problem.isEmpty();
    }
}
