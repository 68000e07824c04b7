# FunctionBench matmul: two random n x n matrices (a fixed seed) multiplied with numpy; only the multiply is timed.
import time

import numpy as np


def lambda_handler(event, context):
    n = int(event["n"])
    rng = np.random.default_rng(int(event.get("seed", 42)))
    a = rng.random((n, n))
    b = rng.random((n, n))
    start = time.perf_counter()
    c = np.matmul(a, b)
    latency = time.perf_counter() - start
    # a check the harness can repeat without the matrices: c's trace equals sum_ij a_ij * b_ji
    return {"latency_s": latency, "n": n, "trace": float(np.trace(c)), "expected_trace": float(np.sum(a * b.T))}
