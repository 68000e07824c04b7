package dev.kiln.host.fn;

import dev.kiln.cluster.ClusterError;
import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.store.KeyValue;
import dev.kiln.cluster.store.KvStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The cluster's functions, in its key-value store (etcd), so that every host sees each one and can run it:
 * {@code /kiln/functions/records/<name>} holds the configuration (JSON), and the code is cut into chunks of
 * {@value #CHUNK} bytes under {@code /kiln/functions/code/<name>/<sha256>/<index>}, because etcd refuses a request
 * over 1.5 MiB by default and a zip may be 50 MB. The chunks are written before the record that names them and
 * removed after it no longer does, so a reader never meets a record whose code is missing. They are read and removed
 * one key at a time, by the names the record implies: a listing of them all would exceed gRPC's 4 MiB answer.
 */
public final class KvFunctionStore implements FunctionStore {
    static final String RECORDS = "/kiln/functions/records/";
    static final String CODE = "/kiln/functions/code/";
    /** 1 MiB: under etcd's default request limit with room for the key and the request's envelope. */
    static final int CHUNK = 1 << 20;

    private final KvStore kv;

    public KvFunctionStore(KvStore kv) {
        this.kv = kv;
    }

    @Override
    public Optional<FunctionRecord> get(String name) {
        return kv.get(RECORDS + name).map(KvFunctionStore::decode);
    }

    @Override
    public List<FunctionRecord> list() {
        List<FunctionRecord> out = new ArrayList<>();
        for (KeyValue e : kv.list(RECORDS)) {
            out.add(decode(e));
        }
        out.sort(Comparator.comparing(FunctionRecord::name));
        return out;
    }

    @Override
    public byte[] code(String name) {
        Optional<FunctionRecord> record = get(name);
        if (record.isEmpty() || record.get().codeSize() == 0) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) record.get().codeSize());
        for (String key : chunkKeys(record.get())) {
            kv.get(key).ifPresent(c -> out.writeBytes(c.value()));
        }
        if (out.size() != record.get().codeSize()) {
            throw new LambdaException(500, "ServiceException", "the code of " + name + " in the cluster store is "
                    + out.size() + " bytes, not the " + record.get().codeSize() + " its record names; update it again");
        }
        return out.toByteArray();
    }

    @Override
    public void create(FunctionRecord record, Optional<byte[]> code) {
        if (get(record.name()).isPresent()) {
            throw exists(record.name());
        }
        code.ifPresent(c -> writeCode(record, c));
        try {
            kv.create(RECORDS + record.name(), encode(record));
        } catch (ClusterException e) {
            if (e.code() == ClusterError.ALREADY_EXISTS) { // another host created it meanwhile
                Optional<FunctionRecord> winner = get(record.name());
                if (code.isPresent() && winner.map(w -> !w.codeSha256().equals(record.codeSha256())).orElse(true)) {
                    chunkKeys(record).forEach(kv::delete);
                }
                throw exists(record.name());
            }
            throw e;
        }
    }

    private static LambdaException exists(String name) {
        return new LambdaException(409, "ResourceConflictException", "Function already exist: " + name);
    }

    @Override
    public void put(FunctionRecord record, Optional<byte[]> code) {
        Optional<FunctionRecord> old = get(record.name());
        code.ifPresent(c -> writeCode(record, c));
        kv.put(RECORDS + record.name(), encode(record));
        old.filter(o -> !o.codeSha256().equals(record.codeSha256()))
                .ifPresent(o -> chunkKeys(o).forEach(kv::delete));
    }

    @Override
    public void delete(String name) {
        Optional<FunctionRecord> old = get(name);
        kv.delete(RECORDS + name);
        old.ifPresent(o -> chunkKeys(o).forEach(kv::delete));
    }

    /** The keys of a record's code chunks. */
    static List<String> chunkKeys(FunctionRecord r) {
        List<String> keys = new ArrayList<>();
        String prefix = codePrefix(r.name(), r.codeSha256());
        for (long i = 0, n = 0; i < r.codeSize(); i += CHUNK, n++) {
            keys.add(prefix + String.format("%05d", n));
        }
        return keys;
    }

    private void writeCode(FunctionRecord record, byte[] code) {
        String prefix = codePrefix(record.name(), record.codeSha256());
        for (int i = 0, n = 0; i < code.length; i += CHUNK, n++) {
            byte[] chunk = java.util.Arrays.copyOfRange(code, i, Math.min(code.length, i + CHUNK));
            kv.put(prefix + String.format("%05d", n), chunk);
        }
    }

    /** The code's key prefix: its SHA-256 in hex (Lambda's base64 digest may hold a slash). */
    static String codePrefix(String name, String codeSha256) {
        return CODE + name + "/" + HexFormat.of().formatHex(Base64.getDecoder().decode(codeSha256)) + "/";
    }

    private static byte[] encode(FunctionRecord r) {
        try {
            return FileFunctionStore.JSON.writeValueAsBytes(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FunctionRecord decode(KeyValue e) {
        try {
            return FileFunctionStore.JSON.readValue(e.value(), FunctionRecord.class);
        } catch (IOException ex) {
            throw new LambdaException(500, "ServiceException", "the function record " + e.key()
                    + " in the cluster store cannot be read: " + ex.getMessage());
        }
    }
}
