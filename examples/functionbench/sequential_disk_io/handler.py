# FunctionBench sequential_disk_io: write, then read, file_size MiB in byte_size blocks, fsync'd; bandwidths.
import os
import tempfile
import time


def lambda_handler(event, context):
    size = int(event["file_size"]) * 1024 * 1024
    block = int(event["byte_size"])
    path = os.path.join(tempfile.gettempdir(), "fb-seq.bin")
    data = os.urandom(block)
    blocks = size // block
    start = time.perf_counter()
    with open(path, "wb") as f:
        for _ in range(blocks):
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    written = time.perf_counter()
    read = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(block)
            if not chunk:
                break
            read += len(chunk)
    done = time.perf_counter()
    os.remove(path)
    w, r = written - start, done - written
    return {"latency_s": done - start, "written": blocks * block, "read": read,
            "write_mb_s": blocks * block / w / 1e6 if w > 0 else 0.0, "read_mb_s": read / r / 1e6 if r > 0 else 0.0,
            "write_latency_ms": w / blocks * 1000, "read_latency_ms": r / blocks * 1000}
