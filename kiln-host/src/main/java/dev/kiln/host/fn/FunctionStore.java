package dev.kiln.host.fn;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Where functions and their code are kept: on one host's disk ({@link #files}), or in the cluster's store
 * ({@link KvFunctionStore}), where every host sees every function.
 */
public interface FunctionStore {
    /** One host's functions under {@code dir}. */
    static FunctionStore files(Path dir) {
        return new FileFunctionStore(dir);
    }

    Optional<FunctionRecord> get(String name);

    /** Every function, by name. */
    List<FunctionRecord> list();

    /** A Zip function's code; empty when it has none (an image function). */
    byte[] code(String name);

    /**
     * Saves a new function, and its code when given.
     *
     * @throws LambdaException 409 ResourceConflictException when a function of that name exists
     */
    void create(FunctionRecord record, Optional<byte[]> code);

    /** Saves the record, and the code when given (an image function has none; a configuration change keeps it). */
    void put(FunctionRecord record, Optional<byte[]> code);

    void delete(String name);
}
