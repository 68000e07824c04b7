package dev.kiln.host.fn;

import java.util.List;

/**
 * Where an invocation runs when the functions are the cluster's: on the function's home host, chosen by
 * {@link HomeHosts}, or on the next host in its order when the home is down or throttles. The host that receives an
 * invocation forwards it over HTTP to the host that runs it ({@code X-Kiln-Forwarded-By}), which runs it itself.
 */
public interface FunctionRouter {
    /** This host's name. */
    String self();

    /** The hosts that may run {@code function}, its home first; this host is among them. */
    List<String> rank(String function);

    /**
     * Runs an invocation on another host and returns what it answered.
     *
     * @throws PeerUnavailableException when that host cannot be reached or fails as a host (5xx), so another is tried
     * @throws LambdaException          what that host answered as Lambda's error (a 429 makes the caller try another)
     */
    SlotManager.Result forward(String host, String function, byte[] payload);

    /** A host that cannot be reached or answered as a broken host. */
    final class PeerUnavailableException extends RuntimeException {
        public PeerUnavailableException(String message) {
            super(message);
        }
    }

    /** One host on its own: every invocation runs here. */
    static FunctionRouter local(String self) {
        return new FunctionRouter() {
            @Override
            public String self() {
                return self;
            }

            @Override
            public List<String> rank(String function) {
                return List.of(self);
            }

            @Override
            public SlotManager.Result forward(String host, String function, byte[] payload) {
                throw new PeerUnavailableException("no other host: " + host);
            }
        };
    }
}
