package dev.kiln.cluster.store;

/**
 * An open prefix watch. Events go to the consumer given to {@link KvStore#watch}; {@link #close()} stops them.
 * Closing twice is harmless.
 */
public interface Watch extends AutoCloseable {

    /** Stops the watch; no event is delivered after this returns, except one already being delivered. */
    @Override
    void close();

    /** True once closed, by {@link #close()}, by the store closing, or after a {@link WatchEvent.Relist}. */
    boolean isClosed();
}
