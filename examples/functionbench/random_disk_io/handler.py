# FunctionBench random_disk_io: as sequential_disk_io, at random block offsets (a fixed seed).
import os
import random
import tempfile
import time


def lambda_handler(event, context):
    size = int(event["file_size"]) * 1024 * 1024
    block = int(event["byte_size"])
    blocks = size // block
    order = list(range(blocks))
    random.Random(int(event.get("seed", 42))).shuffle(order)
    path = os.path.join(tempfile.gettempdir(), "fb-rand.bin")
    data = os.urandom(block)
    with open(path, "wb") as f:
        f.truncate(blocks * block)
    start = time.perf_counter()
    with open(path, "r+b") as f:
        for i in order:
            f.seek(i * block)
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    written = time.perf_counter()
    read = 0
    with open(path, "rb") as f:
        for i in order:
            f.seek(i * block)
            read += len(f.read(block))
    done = time.perf_counter()
    os.remove(path)
    w, r = written - start, done - written
    return {"latency_s": done - start, "written": blocks * block, "read": read,
            "write_mb_s": blocks * block / w / 1e6 if w > 0 else 0.0, "read_mb_s": read / r / 1e6 if r > 0 else 0.0,
            "write_latency_ms": w / blocks * 1000, "read_latency_ms": r / blocks * 1000}
