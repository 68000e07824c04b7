# FunctionBench gzip_compression: write file_size MiB of random bytes to scratch, then gzip it; both timed.
import gzip
import os
import tempfile
import time


def lambda_handler(event, context):
    size = int(event["file_size"]) * 1024 * 1024
    path = os.path.join(tempfile.gettempdir(), "fb-gzip.bin")
    start = time.perf_counter()
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    written = time.perf_counter()
    with open(path, "rb") as f, gzip.open(path + ".gz", "wb") as out:
        out.write(f.read())
    compressed = time.perf_counter()
    gz_bytes = os.path.getsize(path + ".gz")
    os.remove(path)
    os.remove(path + ".gz")
    return {"latency_s": compressed - start, "write_s": written - start, "compress_s": compressed - written,
            "bytes": size, "gzip_bytes": gz_bytes}
