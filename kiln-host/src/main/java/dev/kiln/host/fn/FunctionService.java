package dev.kiln.host.fn;

import dev.kiln.api.agent.FunctionSetup;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.zip.ZipInputStream;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The functions of this host: their configurations and code ({@link FunctionStore}), checked as Lambda checks them,
 * and their invocations, handed to the {@link SlotManager}. What the Lambda-compatible API ({@link LambdaApi}) and
 * {@code kiln fn} stand on.
 */
public final class FunctionService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FunctionService.class);
    /** Lambda's limit on a function name. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    /** Lambda's limit on a zip uploaded directly. */
    public static final int MAX_ZIP = 50 << 20;
    /** Lambda's limit on a synchronous invocation's payload. */
    public static final int MAX_PAYLOAD = 6 * 1024 * 1024;
    /** Lambda's limit on an asynchronous invocation's payload (kiln holds the events in memory). */
    public static final int MAX_EVENT_PAYLOAD = 256 * 1024;
    /** How long a runtime may take to load its handler: Lambda's 10 s, with room for emulated (TCG) guests. */
    static final Duration INIT_TIMEOUT = Duration.ofMinutes(2);
    /** The Java runtimes kiln runs (all on the host's JDK, 25). */
    static final List<String> JAVA_RUNTIMES = List.of("java21", "java25");

    /**
     * @param region        the region in function ARNs
     * @param account       the account id in function ARNs
     * @param pythonImage   the image python3.x functions run in (kiln's bootstrap is mounted into it)
     * @param maxEvents     the most asynchronous invocations held at once
     * @param javaImage     the image java21/java25 functions run in: a JDK and AWS's runtime interface client
     */
    public record Settings(String region, String account, String pythonImage, int maxEvents, String javaImage) {
        public Settings(String region, String account, String pythonImage, int maxEvents) {
            this(region, account, pythonImage, maxEvents, "java-runtime:1");
        }

        public static Settings defaults() {
            return new Settings("kiln-local", "000000000000", "python3-runtime:1", 64, "java-runtime:1");
        }
    }

    /** The Java runtime's command: AWS's runtime interface client, given the handler (examples/images/java-runtime.yaml). */
    static List<String> javaCommand(String handler) {
        return List.of("/opt/java/bin/java", "-cp", "/app/app.jar",
                "com.amazonaws.services.lambda.runtime.api.client.AWSLambda", handler);
    }

    /** What a create or an update asks for; every field optional except where Lambda requires it. */
    public record Change(Optional<String> runtime, Optional<String> handler, Optional<String> role,
                         Optional<String> description, Optional<Integer> memoryMb, Optional<Integer> timeoutSeconds,
                         Optional<Map<String, String>> environment, Optional<String> packageType,
                         Optional<String> imageUri, Optional<byte[]> zip) {
        public static Change none() {
            return new Change(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
    }

    private final FunctionStore store;
    private final SlotManager slots;
    private final Predicate<String> imageExists;
    private final Settings settings;
    private final Clock clock;
    private final Map<String, FunctionVersion> versions = new HashMap<>();
    private final ExecutorService events = Executors.newVirtualThreadPerTaskExecutor();
    private final Semaphore eventRoom;
    private final Thread reclaimer;
    private volatile MeterRegistry metrics = new SimpleMeterRegistry();
    private final List<Runnable> alsoReclaim = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<AutoCloseable> alsoClose = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile FunctionRouter router = FunctionRouter.local("localhost");

    public FunctionService(FunctionStore store, SlotManager slots, Predicate<String> imageExists, Settings settings,
                           Clock clock, Duration reclaimEvery) {
        this.store = store;
        this.slots = slots;
        this.imageExists = imageExists;
        this.settings = settings;
        this.clock = clock;
        this.eventRoom = new Semaphore(settings.maxEvents());
        this.reclaimer = Thread.ofVirtual().name("kiln-fn-reclaim").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(reclaimEvery);
                    int n = slots.reclaimIdle();
                    if (n > 0) {
                        LOG.info("reclaimed {} idle function slot(s) after their keep-alive", n);
                    }
                    retireStale();
                    alsoReclaim.forEach(Runnable::run);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("reclaiming idle slots: {}", e.getMessage());
                }
            }
        });
    }

    public String arn(String name) {
        return "arn:aws:lambda:" + settings.region() + ":" + settings.account() + ":function:" + name;
    }

    /** A name, or a function ARN (with an optional {@code $LATEST} qualifier), as Lambda accepts it. */
    public static String nameOf(String nameOrArn) {
        if (nameOrArn.startsWith("arn:")) {
            String[] parts = nameOrArn.split(":");
            if (parts.length >= 7 && parts[5].equals("function")) {
                return parts[6];
            }
            throw new LambdaException(400, "InvalidParameterValueException", "not a function ARN: " + nameOrArn);
        }
        int colon = nameOrArn.indexOf(':');
        return colon > 0 ? nameOrArn.substring(0, colon) : nameOrArn;
    }

    public synchronized FunctionRecord create(String name, Change c) {
        if (!NAME.matcher(name).matches()) {
            throw invalid("FunctionName '" + name + "' must be 1 to 64 letters, digits, hyphens or underscores");
        }
        if (store.get(name).isPresent()) {
            throw new LambdaException(409, "ResourceConflictException", "Function already exist: " + name);
        }
        String packageType = c.packageType().orElse("Zip");
        if (packageType.equals("Zip")) {
            if (c.runtime().isEmpty() || c.handler().isEmpty()) {
                throw invalid("a Zip function needs Runtime and Handler");
            }
            if (c.zip().isEmpty()) {
                throw invalid("Code.ZipFile is required (kiln takes the zip itself, not an S3 location)");
            }
        } else if (packageType.equals("Image")) {
            if (c.imageUri().isEmpty()) {
                throw invalid("an Image function needs Code.ImageUri");
            }
        } else {
            throw invalid("PackageType must be Zip or Image, not " + packageType);
        }
        byte[] zip = c.zip().orElse(new byte[0]);
        FunctionRecord record = new FunctionRecord(name, c.runtime(), c.handler().orElse(""),
                c.role().orElse("arn:aws:iam::" + settings.account() + ":role/kiln"), c.description().orElse(""),
                c.memoryMb().orElse(128), c.timeoutSeconds().orElse(3), c.environment().orElse(Map.of()), packageType,
                c.imageUri(), Optional.empty(), sha256(zip), zip.length, clock.instant(), 1,
                UUID.randomUUID().toString());
        check(record, c.zip());
        store.create(record, c.zip()); // checks again: another host may have created the name meanwhile
        LOG.info("function {} created ({}, {} MB)", name, record.runtime().orElse(record.imageUri().orElse("")),
                record.memoryMb());
        return record;
    }

    public synchronized FunctionRecord get(String nameOrArn) {
        String name = nameOf(nameOrArn);
        return store.get(name).orElseThrow(() -> new LambdaException(404, "ResourceNotFoundException",
                "Function not found: " + arn(name)));
    }

    /** A Zip function's code. */
    public byte[] code(String name) {
        return store.code(nameOf(name));
    }

    public List<FunctionRecord> list() {
        return store.list();
    }

    public synchronized FunctionRecord updateCode(String nameOrArn, Optional<byte[]> zip, Optional<String> imageUri) {
        FunctionRecord old = get(nameOrArn);
        if (old.packageType().equals("Zip") && zip.isEmpty()) {
            throw invalid("UpdateFunctionCode of a Zip function needs ZipFile");
        }
        if (old.packageType().equals("Image") && imageUri.isEmpty()) {
            throw invalid("UpdateFunctionCode of an Image function needs ImageUri");
        }
        byte[] code = zip.orElse(new byte[0]);
        FunctionRecord next = new FunctionRecord(old.name(), old.runtime(), old.handler(), old.role(), old.description(),
                old.memoryMb(), old.timeoutSeconds(), old.environment(), old.packageType(),
                imageUri.or(old::imageUri), old.reservedConcurrency(), sha256(code), code.length, clock.instant(),
                old.revision() + 1, UUID.randomUUID().toString());
        check(next, zip);
        store.put(next, zip);
        changed(next);
        return next;
    }

    public synchronized FunctionRecord updateConfiguration(String nameOrArn, Change c) {
        FunctionRecord old = get(nameOrArn);
        FunctionRecord next = new FunctionRecord(old.name(), c.runtime().or(old::runtime),
                c.handler().orElse(old.handler()), c.role().orElse(old.role()), c.description().orElse(old.description()),
                c.memoryMb().orElse(old.memoryMb()), c.timeoutSeconds().orElse(old.timeoutSeconds()),
                c.environment().orElse(old.environment()), old.packageType(), old.imageUri(),
                old.reservedConcurrency(), old.codeSha256(), old.codeSize(), clock.instant(), old.revision() + 1,
                UUID.randomUUID().toString());
        check(next, Optional.empty());
        store.put(next, Optional.empty());
        changed(next);
        return next;
    }

    /** Lambda's PutFunctionConcurrency (empty: DeleteFunctionConcurrency). */
    public synchronized FunctionRecord reserveConcurrency(String nameOrArn, Optional<Integer> reserved) {
        FunctionRecord old = get(nameOrArn);
        if (reserved.isPresent() && reserved.get() < 0) {
            throw invalid("ReservedConcurrentExecutions must be 0 or more");
        }
        FunctionRecord next = new FunctionRecord(old.name(), old.runtime(), old.handler(), old.role(), old.description(),
                old.memoryMb(), old.timeoutSeconds(), old.environment(), old.packageType(), old.imageUri(), reserved,
                old.codeSha256(), old.codeSize(), old.lastModified(), old.revision(), old.revisionId());
        store.put(next, Optional.empty());
        versions.remove(old.name());
        return next;
    }

    public synchronized void delete(String nameOrArn) {
        FunctionRecord old = get(nameOrArn);
        store.delete(old.name());
        versions.remove(old.name());
        slots.retire(old.name(), Optional.empty());
        LOG.info("function {} deleted", old.name());
    }

    /** An invocation's result and the host that ran it. */
    public record Invocation(SlotManager.Result result, String host) {
    }

    /** Where invocations run: {@link FunctionRouter#local} (the default) runs them all on this host. */
    public void routeWith(FunctionRouter router) {
        this.router = router;
    }

    /**
     * A synchronous invocation (RequestResponse), on the function's home host or, when that is down or throttles,
     * on the next in its order ({@link FunctionRouter}); with one host, here.
     */
    public Invocation invoke(String nameOrArn, byte[] payload) {
        checkPayload(payload);
        FunctionRecord record = get(nameOrArn);
        if (record.reservedConcurrency().filter(r -> r == 0).isPresent()) {
            throw zeroConcurrency();
        }
        FunctionRouter r = router;
        LambdaException throttled = null;
        List<String> down = new ArrayList<>();
        for (String host : r.rank(record.name())) {
            try {
                if (host.equals(r.self())) {
                    return new Invocation(invokeHere(record.name(), payload), host);
                }
                return new Invocation(r.forward(host, record.name(), payload), host);
            } catch (FunctionRouter.PeerUnavailableException e) {
                LOG.info("{} cannot run {} now ({}); trying the next host", host, record.name(), e.getMessage());
                down.add(host + ": " + e.getMessage());
            } catch (LambdaException e) {
                if (e.status() != 429) {
                    throw e;
                }
                throttled = e;
            }
        }
        if (throttled != null) {
            throw throttled;
        }
        throw new LambdaException(503, "ServiceException", "no host could run " + record.name() + ": "
                + String.join("; ", down));
    }

    private static void checkPayload(byte[] payload) {
        if (payload.length > MAX_PAYLOAD) {
            throw new LambdaException(413, "RequestTooLargeException", "Request must be smaller than " + MAX_PAYLOAD
                    + " bytes for the InvokeFunction operation");
        }
    }

    private static LambdaException zeroConcurrency() {
        return new LambdaException(429, "TooManyRequestsException", "Rate Exceeded: the function's reserved"
                + " concurrency is 0, so it is throttled (PutFunctionConcurrency to allow it)",
                Optional.of("ReservedFunctionConcurrentInvocationLimitExceeded"));
    }

    /** An invocation run on this host, whatever its home (another host forwarded it here, or there is one host). */
    public SlotManager.Result invokeHere(String nameOrArn, byte[] payload) {
        checkPayload(payload);
        FunctionVersion version = version(nameOrArn);
        if (version.reservedConcurrency().filter(r -> r == 0).isPresent()) {
            throw zeroConcurrency();
        }
        try {
            long t0 = System.nanoTime();
            SlotManager.Result r = slots.invoke(version, payload.length == 0 ? "{}".getBytes() : payload);
            record(version.setup().name(), r, System.nanoTime() - t0);
            return r;
        } catch (ThrottledException e) {
            throw new LambdaException(429, "TooManyRequestsException", e.getMessage(), Optional.of(
                    version.reservedConcurrency().isPresent() ? "ReservedFunctionConcurrentInvocationLimitExceeded"
                            : "ConcurrentInvocationLimitExceeded"));
        }
    }

    /**
     * Exports invocations to {@code registry}: {@code kiln.function.invocations} (a timer per function and cold or
     * warm, with function errors counted apart) and {@code kiln.function.cold.phase} (a timer per cold-start phase:
     * imageDisk, poolTake, network, vmmStart, kernelBoot, agentReady, codeReady, runtimeStart, runtimeInit, handler).
     */
    public void exportMetrics(MeterRegistry registry) {
        this.metrics = registry;
    }

    private void record(String name, SlotManager.Result r, long nanos) {
        Timer.builder("kiln.function.invocations").description("invocations, end to end on this host")
                .tag("function", name).tag("cold", Boolean.toString(r.cold()))
                .tag("error", r.reply().functionError().isPresent() ? "function" : "none")
                .publishPercentiles(0.5, 0.99).register(metrics).record(Duration.ofNanos(nanos));
        if (r.cold()) {
            r.phases().forEach((phase, ms) -> coldPhase(phase, ms));
            r.reply().initMs().ifPresent(ms -> coldPhase("runtimeInit", Math.round(ms)));
            coldPhase("handler", Math.round(r.reply().durationMs()));
        }
    }

    private void coldPhase(String phase, long ms) {
        Timer.builder("kiln.function.cold.phase").description("where cold starts spend their time")
                .tag("phase", phase).register(metrics).record(Duration.ofMillis(ms));
    }

    /** An asynchronous invocation (Event): checked and queued; its result is logged. */
    public void invokeAsync(String nameOrArn, byte[] payload) {
        if (payload.length > MAX_EVENT_PAYLOAD) {
            throw new LambdaException(413, "RequestTooLargeException", "Request must be smaller than "
                    + MAX_EVENT_PAYLOAD + " bytes for an Event invocation");
        }
        String name = get(nameOrArn).name();
        if (!eventRoom.tryAcquire()) {
            throw new LambdaException(429, "TooManyRequestsException", "Rate Exceeded: " + settings.maxEvents()
                    + " asynchronous invocations are already waiting", Optional.of("ConcurrentInvocationLimitExceeded"));
        }
        events.submit(() -> {
            try {
                SlotManager.Result r = invoke(name, payload).result();
                LOG.info("event invocation of {} ({}) done in {} ms{}", name, r.reply().requestId(),
                        r.reply().durationMs(), r.reply().functionError().map(e -> ", function error " + e).orElse(""));
            } catch (RuntimeException e) {
                LOG.warn("event invocation of {} failed: {}", name, e.getMessage());
            } finally {
                eventRoom.release();
            }
        });
    }

    /** Slots per function (by name), for status. */
    public Map<String, Integer> slots() {
        Map<String, Integer> out = new HashMap<>();
        slots.slots().forEach((key, n) -> out.merge(key.substring(0, key.lastIndexOf(':')), n, Integer::sum));
        return out;
    }

    /**
     * A function's slots by state: {@code booting} (a cold start's VM starting: booted, taken from the pool or
     * restored), {@code initializing} (its first invocation, with the runtime's init), {@code idle} and {@code busy}
     * (running an invocation) of its current revision, and {@code draining} (busy slots of an older revision,
     * removed when their invocation ends).
     */
    public record SlotStates(int booting, int initializing, int idle, int busy, int draining) {
    }

    /** {@code none}, {@code preparing} or {@code ready}: whether the current revision's cold starts are clones. */
    public String snapshotState(FunctionRecord r) {
        return slots.snapshotState(key(r));
    }

    public SlotStates slotStates(FunctionRecord r) {
        String current = key(r);
        Map<String, Integer> idle = slots.idleSlots();
        int idleNow = 0;
        int busy = 0;
        int draining = 0;
        for (var e : slots.slots().entrySet()) {
            if (!e.getKey().startsWith(r.name() + ":")) {
                continue;
            }
            int idleOfKey = idle.getOrDefault(e.getKey(), 0);
            if (e.getKey().equals(current)) {
                idleNow += idleOfKey;
                busy += e.getValue() - idleOfKey;
            } else {
                draining += e.getValue();
            }
        }
        SlotManager.Starting starting = slots.starting(current);
        int startingNow = starting.booting() + starting.initializing();
        return new SlotStates(starting.booting(), starting.initializing(), idleNow, Math.max(0, busy - startingNow),
                draining);
    }

    private synchronized FunctionVersion version(String nameOrArn) {
        FunctionRecord record = get(nameOrArn);
        FunctionVersion cached = versions.get(record.name());
        if (cached != null && cached.revision().equals(revision(record))) {
            return cached;
        }
        if (cached != null) { // changed on another host (a change made here has dropped it from the cache)
            slots.retire(record.name(), Optional.of(key(record)));
        }
        FunctionVersion v = new FunctionVersion(setup(record), store.code(record.name()), record.reservedConcurrency(),
                revision(record));
        versions.put(record.name(), v);
        return v;
    }

    private FunctionSetup setup(FunctionRecord r) {
        String runtime;
        Optional<String> image;
        List<String> command = List.of();
        if (r.packageType().equals("Image")) {
            runtime = "image";
            image = r.imageUri();
        } else if (r.runtime().orElseThrow().startsWith("java")) {
            runtime = "image";
            image = Optional.of(settings.javaImage());
            command = javaCommand(r.handler());
        } else {
            String lambdaRuntime = r.runtime().orElseThrow();
            runtime = lambdaRuntime.startsWith("python3") ? "python3" : "provided";
            image = Optional.of(runtimeImage(r));
        }
        return new FunctionSetup(r.name(), "$LATEST", arn(r.name()), settings.region(), runtime, r.handler(),
                r.memoryMb(), Duration.ofSeconds(r.timeoutSeconds()), INIT_TIMEOUT, r.environment(), image,
                Optional.empty(), command);
    }

    /**
     * Closes this host's slots of functions that another host deleted or changed (with a store that hosts share):
     * slots of a deleted function, and idle slots of an older revision.
     */
    public synchronized void retireStale() {
        Map<String, List<String>> keysByName = new java.util.TreeMap<>();
        slots.slots().keySet().forEach(key -> keysByName.computeIfAbsent(key.substring(0, key.lastIndexOf(':')),
                k -> new ArrayList<>()).add(key));
        keysByName.forEach((name, keys) -> {
            Optional<FunctionRecord> now = store.get(name);
            if (now.isEmpty()) {
                LOG.info("function {} was deleted on another host: closing its slots here", name);
                versions.remove(name);
                slots.retire(name, Optional.empty());
            } else if (keys.stream().anyMatch(k -> !k.equals(key(now.get())))) {
                slots.retire(name, Optional.of(key(now.get())));
            }
        });
    }

    /**
     * The revision slots run: its number and the start of its RevisionId, so that a function deleted and created
     * again (on another host, where the number starts at 1 again) never reuses the old one's slots.
     */
    static String revision(FunctionRecord r) {
        return r.revision() + "-" + r.revisionId().substring(0, Math.min(8, r.revisionId().length()));
    }

    /** The slot manager's key of a function's current revision ({@link FunctionVersion#key()}). */
    static String key(FunctionRecord r) {
        return r.name() + ":" + revision(r);
    }

    private void changed(FunctionRecord next) {
        versions.remove(next.name());
        slots.retire(next.name(), Optional.of(key(next)));
    }

    /**
     * A kiln extension in a Zip function's environment: the image its Python or {@code provided} runtime runs in,
     * instead of the host's default (the role Lambda's layers play: FunctionBench's handlers need numpy, OpenCV,
     * PyTorch...). The image must hold a python3; kiln's bootstrap is mounted into it as into the default one.
     */
    public static final String RUNTIME_IMAGE_ENV = "KILN_RUNTIME_IMAGE";

    private String runtimeImage(FunctionRecord r) {
        return r.environment().getOrDefault(RUNTIME_IMAGE_ENV, settings.pythonImage());
    }

    /** Lambda's checks, and kiln's own: the runtime is one kiln's slots run and its image is on this host. */
    private void check(FunctionRecord r, Optional<byte[]> zip) {
        if (r.memoryMb() < 128 || r.memoryMb() > 10240) {
            throw invalid("MemorySize " + r.memoryMb() + " is out of range: 128 to 10240 MB");
        }
        if (r.timeoutSeconds() < 1 || r.timeoutSeconds() > 900) {
            throw invalid("Timeout " + r.timeoutSeconds() + " is out of range: 1 to 900 seconds");
        }
        if (r.packageType().equals("Zip")) {
            String runtime = r.runtime().orElse("");
            if (runtime.startsWith("java")) {
                if (!JAVA_RUNTIMES.contains(runtime)) {
                    throw invalid("Runtime " + runtime + " is not one kiln's slots run: use " + String.join(" or ",
                            JAVA_RUNTIMES) + " (kiln's Java image is built from the host's JDK 25)");
                }
                if (!r.handler().matches("[A-Za-z_$][\\w$.]*(::[A-Za-z_$][\\w$]*)?")) {
                    throw invalid("Handler '" + r.handler() + "' must be package.Class or package.Class::method");
                }
                requireImage(settings.javaImage(), "./mvnw -q package -pl kiln-java-runtime -am -DskipTests, then"
                        + " kiln image build examples/images/java-runtime.yaml --tag " + settings.javaImage());
            } else {
                if (!runtime.startsWith("python3") && !runtime.startsWith("provided")) {
                    throw invalid("Runtime " + runtime + " is not one kiln's slots run: use python3.x (kiln's own"
                            + " bootstrap), java21 or java25 (AWS's runtime interface client), provided.al2023 (the"
                            + " zip's own bootstrap executable) or PackageType Image");
                }
                if (runtime.startsWith("python3") && !r.handler().matches("[^.]+(\\.[^.]+)+")) {
                    throw invalid("Handler '" + r.handler() + "' must be module.function, e.g."
                            + " lambda_function.lambda_handler");
                }
                if (r.environment().containsKey(RUNTIME_IMAGE_ENV)) {
                    requireImage(runtimeImage(r), "build or import it first (kiln image build|load), or remove "
                            + RUNTIME_IMAGE_ENV + " from the function's environment");
                } else {
                    requireImage(settings.pythonImage(), "kiln image build examples/images/python3-runtime.yaml "
                            + "--tag " + settings.pythonImage());
                }
            }
        } else {
            requireImage(r.imageUri().orElseThrow(), "build or import it first: kiln image build|load");
        }
        if (zip.isPresent()) {
            checkZip(zip.get());
        }
    }

    private void requireImage(String image, String how) {
        if (!imageExists.test(image)) {
            throw invalid("the image " + image + " is not in this host's image store; " + how);
        }
    }

    private static void checkZip(byte[] zip) {
        if (zip.length == 0) {
            throw invalid("the ZipFile is empty");
        }
        if (zip.length > MAX_ZIP) {
            throw new LambdaException(413, "RequestEntityTooLargeException", "the zip is " + zip.length
                    + " bytes; the most is " + MAX_ZIP);
        }
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            if (in.getNextEntry() == null) {
                throw invalid("the ZipFile is not a zip, or holds no file");
            }
        } catch (IOException e) {
            throw invalid("the ZipFile is not a readable zip: " + e.getMessage());
        }
    }

    private static LambdaException invalid(String message) {
        return new LambdaException(400, "InvalidParameterValueException", message);
    }

    /** Lambda's CodeSha256: the base64 of the code's SHA-256. */
    static String sha256(byte[] bytes) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code task} (e.g. trimming the slot pool) with every keep-alive reclaim. */
    public void alsoReclaim(Runnable task) {
        alsoReclaim.add(task);
    }

    /** Closes {@code resource} (e.g. the slot backend with its pool) after the slots, on {@link #close()}. */
    public void alsoClose(AutoCloseable resource) {
        alsoClose.add(resource);
    }

    @Override
    public void close() {
        reclaimer.interrupt();
        events.shutdownNow();
        slots.close();
        for (AutoCloseable c : alsoClose) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", c, e.getMessage());
            }
        }
    }
}
