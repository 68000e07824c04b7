package dev.kiln.image;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A running read-only OCI registry over the image store, for guests to pull from. The host binds it to the
 * bridge address, so only its VMs reach it; it has no write method and serves only what the store has verified.
 */
public final class ImageRegistry implements AutoCloseable {
    private final Server server;
    private final InetSocketAddress address;

    private ImageRegistry(Server server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Starts serving {@code images} on {@code bind} (port 0 picks a free port; see {@link #address()}). */
    public static ImageRegistry start(ImageReader images, InetSocketAddress bind) {
        return start(images, bind, UnaryOperator.identity());
    }

    /**
     * Starts serving {@code images} on {@code bind}, with the registry's handler wrapped by {@code wrap}: a host
     * serves its guests more than images on the same port (see kiln-host's GuestGateway).
     */
    public static ImageRegistry start(ImageReader images, InetSocketAddress bind,
                                      UnaryOperator<Handler> wrap) {
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("kiln-registry");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(bind.getHostString());
        connector.setPort(bind.getPort());
        server.addConnector(connector);
        server.setHandler(wrap.apply(new RegistryHandler(images)));
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception stopFailure) {
                e.addSuppressed(stopFailure);
            }
            throw new ImageException(ImageError.REGISTRY_FAILED, "cannot serve the image registry on " + bind
                    + ": " + e.getMessage(), e);
        }
        return new ImageRegistry(server, new InetSocketAddress(bind.getAddress(), connector.getLocalPort()));
    }

    /** The address it listens on, with the real port. */
    public InetSocketAddress address() {
        return address;
    }

    /** {@code http://host:port}, the base a guest pulls from. */
    public URI uri() {
        String host = address.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort());
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new ImageException(ImageError.REGISTRY_FAILED, "cannot stop the image registry: " + e.getMessage(), e);
        }
    }
}
