package dev.kiln.cli.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

/**
 * The medians of a FunctionBench run, one cell per (workload, memory size, mode), each with its order-statistic
 * confidence interval ({@link MedianCi} at {@link #LEVEL}). Only valid samples count; the others are counted as
 * discarded. Phases are summarized for cold cells only. The native host times of the function bodies are summarized
 * per workload.
 *
 * @param cells    by workload (in the order first seen), then memory size, then mode ({@code cold} first)
 * @param nativeMs the median native time of each workload's function body, for those that have one
 */
public record Summary(List<Cell> cells, SequencedMap<String, Double> nativeMs) {

    /** The confidence level of every interval. */
    public static final double LEVEL = 0.95;

    /**
     * The order in which a cold start's phases happen (the names kiln's slot backend and function service use);
     * phases not named here follow in alphabetical order.
     */
    public static final List<String> PHASE_ORDER = List.of("imageDisk", "poolTake", "network", "vmmStart",
            "snapshotNetwork", "snapshotVmmRestore", "snapshotIdentity", "vmmRestore", "identity", "kernelBoot",
            "agentReady", "codeReady", "runtimeStart", "runtimeInit");

    /** What a cell groups by. */
    public record Key(String workload, int memoryMb, String mode) {
    }

    /**
     * The medians of one (workload, memory size, mode).
     *
     * @param valid      the samples that count
     * @param discarded  the samples left out (a problem, or a cold flag that did not match the mode)
     * @param inFunction the handler's own time; empty when no sample counts
     * @param provider   the invocation as the runtime timed it
     * @param client     end to end at the client
     * @param init       the runtime's initialization, from the samples that have one
     * @param phases     the cold start's phases (cold cells only), in {@link #PHASE_ORDER}
     */
    public record Cell(Key key, int valid, int discarded, Optional<MedianCi> inFunction, Optional<MedianCi> provider,
                       Optional<MedianCi> client, Optional<MedianCi> init, SequencedMap<String, MedianCi> phases) {
        public Cell {
            phases = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(phases));
        }
    }

    public Summary {
        cells = List.copyOf(cells);
        nativeMs = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(nativeMs));
    }

    /** Summarizes samples and native medians (ms per workload; a workload with no native run may be absent). */
    public static Summary of(Collection<Sample> samples, Map<String, Double> nativeMs) {
        SequencedMap<Key, List<Sample>> groups = new LinkedHashMap<>();
        SequencedSet<String> workloads = new LinkedHashSet<>();
        for (Sample s : samples) {
            workloads.add(s.workload());
            groups.computeIfAbsent(new Key(s.workload(), s.memoryMb(), s.mode()), k -> new ArrayList<>()).add(s);
        }
        List<String> order = List.copyOf(workloads);
        List<Cell> cells = new ArrayList<>();
        groups.forEach((key, group) -> cells.add(cell(key, group)));
        cells.sort(Comparator.comparingInt((Cell c) -> order.indexOf(c.key().workload()))
                .thenComparingInt(c -> c.key().memoryMb())
                .thenComparing(c -> c.key().mode(), Comparator.comparing((String m) -> !m.equals("cold"))
                        .thenComparing(Comparator.naturalOrder())));
        SequencedMap<String, Double> natives = new LinkedHashMap<>();
        nativeMs.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> natives.put(e.getKey(), e.getValue()));
        return new Summary(cells, natives);
    }

    private static Cell cell(Key key, List<Sample> group) {
        List<Sample> valid = group.stream().filter(Sample::valid).toList();
        SequencedMap<String, MedianCi> phases = new LinkedHashMap<>();
        if (key.mode().equals("cold")) {
            for (String phase : orderPhases(valid.stream().flatMap(s -> s.phases().keySet().stream()).toList())) {
                List<Double> ms = valid.stream().filter(s -> s.phases().containsKey(phase))
                        .map(s -> s.phases().get(phase)).toList();
                phases.put(phase, MedianCi.of(ms, LEVEL));
            }
        }
        List<Double> init = valid.stream().flatMap(s -> s.initMs().stream()).toList();
        return new Cell(key, valid.size(), group.size() - valid.size(), median(valid, Sample::inFunctionMs),
                median(valid, Sample::providerMs), median(valid, Sample::clientMs),
                init.isEmpty() ? Optional.empty() : Optional.of(MedianCi.of(init, LEVEL)), phases);
    }

    private static Optional<MedianCi> median(List<Sample> valid, ToDoubleFunction<Sample> metric) {
        if (valid.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(MedianCi.of(valid.stream().map(s -> metric.applyAsDouble(s)).toList(), LEVEL));
    }

    /** Phase names, each once, in {@link #PHASE_ORDER} and then alphabetically. */
    public static List<String> orderPhases(Collection<String> names) {
        List<String> known = PHASE_ORDER.stream().filter(names::contains).toList();
        List<String> out = new ArrayList<>(known);
        new TreeSet<>(names).stream().filter(n -> !PHASE_ORDER.contains(n)).forEach(out::add);
        return out;
    }

    /** The cell of one (workload, memory size, mode), when the run has samples there. */
    public Optional<Cell> cell(String workload, int memoryMb, String mode) {
        Key key = new Key(workload, memoryMb, mode);
        return cells.stream().filter(c -> c.key().equals(key)).findFirst();
    }

    /** The workloads with samples, in the order first seen, then those with only a native time. */
    public List<String> workloads() {
        SequencedSet<String> out = new LinkedHashSet<>();
        cells.forEach(c -> out.add(c.key().workload()));
        out.addAll(nativeMs.keySet());
        return List.copyOf(out);
    }

    /** The memory sizes with samples, ascending. */
    public List<Integer> memorySizes() {
        return cells.stream().map(c -> c.key().memoryMb()).distinct().sorted().toList();
    }

    /** Every phase name of the cold cells, in order. */
    public List<String> phases() {
        return orderPhases(cells.stream().flatMap(c -> c.phases().keySet().stream()).distinct().toList());
    }

    /** The native median of a workload's function body, when it was run natively. */
    public Optional<Double> nativeOf(String workload) {
        return Optional.ofNullable(nativeMs.get(workload));
    }

    /** All samples left out of the medians. */
    public int discarded() {
        return cells.stream().mapToInt(Cell::discarded).sum();
    }
}
