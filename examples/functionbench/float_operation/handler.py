# FunctionBench float_operation: sin, cos and sqrt of 0..n-1; only the loop is timed.
import math
import time


def lambda_handler(event, context):
    n = int(event["n"])
    start = time.perf_counter()
    total = 0.0
    for i in range(n):
        total += math.sin(i) + math.cos(i) + math.sqrt(i)
    latency = time.perf_counter() - start
    return {"latency_s": latency, "n": n, "sum": total}
