# FunctionBench linpack: solve Ax = b for a random n x n A with numpy; MFLOPS from 2n^3/3 + 2n^2 operations.
import time

import numpy as np


def lambda_handler(event, context):
    n = int(event["n"])
    rng = np.random.default_rng(int(event.get("seed", 42)))
    a = rng.random((n, n)) + n * np.eye(n)  # diagonally dominant: well conditioned
    b = rng.random(n)
    start = time.perf_counter()
    x = np.linalg.solve(a, b)
    latency = time.perf_counter() - start
    ops = 2.0 * n ** 3 / 3.0 + 2.0 * n ** 2
    residual = float(np.linalg.norm(a @ x - b) / np.linalg.norm(b))
    return {"latency_s": latency, "n": n, "mflops": ops / latency / 1e6 if latency > 0 else 0.0,
            "residual": residual}
