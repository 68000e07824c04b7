package dev.kiln.agent;

import com.sun.net.httpserver.HttpServer;
import dev.kiln.api.agent.AgentErrorCode;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The running guest agent: wires the image puller, the image store, the runc runtime and the HTTP API, and
 * listens. {@link #close} stops listening and the agent's threads; containers keep running.
 */
public final class Agent implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService httpThreads;
    private final ContainerRuntime runtime;
    private final Functions functions;
    private final Duration startup;

    private Agent(HttpServer server, ExecutorService httpThreads, ContainerRuntime runtime, Functions functions,
                  Duration startup) {
        this.functions = functions;
        this.server = server;
        this.httpThreads = httpThreads;
        this.runtime = runtime;
        this.startup = startup;
    }

    /**
     * Starts the agent. {@code jvmStart} is when the JVM began, so that the reported start-up time covers the
     * JVM's own start as well as the agent's.
     */
    public static Agent start(AgentConfig config, Clock clock, Instant jvmStart) {
        HostFacts facts = HostFacts.system();
        ImagePuller puller = ImagePuller.create(config.stateDir(), Duration.ofMinutes(5));
        ImageStore images = new ImageStore(config.stateDir(), LayerUnpacker.create(), puller);
        RuncContainerRuntime runtime = new RuncContainerRuntime(config, Cgroups.detect(), facts, clock);
        // A restarted agent takes over what its predecessor ran, before it answers its first call.
        int taken = runtime.recover();
        if (taken > 0) {
            System.err.println("kiln-agent: took over " + taken + " container(s) from the previous agent");
        }
        TokenCheck token = TokenCheck.fromFile(config.tokenFile());
        ExecutorService httpThreads = Executors.newVirtualThreadPerTaskExecutor();
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.listenHost(), config.port()), 64);
        } catch (IOException e) {
            runtime.close();
            throw new AgentException(AgentErrorCode.RUNTIME_ERROR, "cannot listen on " + config.listenHost() + ":"
                    + config.port() + ": " + e.getMessage(), "pick a free port with --listen", e);
        }
        // The start-up time is known only once the server listens; the facts read it from here.
        AtomicReference<Duration> startup = new AtomicReference<>(Duration.ZERO);
        var service = new AgentService(config, puller, images, runtime, facts, startup::get, version());
        server.setExecutor(httpThreads);
        Functions functions = new Functions(config.stateDir(), config.runtimeApi(), clock, service);
        server.createContext("/", new HttpApi(service, token, config, functions));
        server.start();
        Duration total = Duration.between(jvmStart, clock.instant());
        startup.set(total);
        // Warm the JSON mapper off the start-up path, so that the first call does not pay for it either.
        Thread.ofVirtual().name("kiln-warm-up").start(Json::mapper);
        return new Agent(server, httpThreads, runtime, functions, total);
    }

    /** The port the agent listens on (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** From the JVM's start to listening. */
    public Duration startup() {
        return startup;
    }

    static String version() {
        String v = Agent.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    @Override
    public void close() {
        server.stop(0);
        httpThreads.shutdownNow();
        functions.close();
        runtime.close();
    }
}
