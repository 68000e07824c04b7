# FunctionBench dd: write count blocks of bs bytes from /dev/zero to a scratch file with dd; its throughput line.
import os
import subprocess
import tempfile
import time


def lambda_handler(event, context):
    bs = str(event["bs"])
    count = int(event["count"])
    target = os.path.join(tempfile.gettempdir(), "fb-dd.out")
    start = time.perf_counter()
    done = subprocess.run(["dd", "if=/dev/zero", "of=" + target, "bs=" + bs, "count=%d" % count, "conv=fsync"],
                          capture_output=True, text=True)
    latency = time.perf_counter() - start
    size = os.path.getsize(target) if os.path.exists(target) else 0
    if os.path.exists(target):
        os.remove(target)
    lines = [l for l in done.stderr.strip().splitlines() if l]
    return {"latency_s": latency, "exit": done.returncode, "bytes": size, "dd": lines[-1] if lines else ""}
