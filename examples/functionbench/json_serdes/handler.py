# FunctionBench json_serdes: parse a JSON document, then write it with indent=4; both timed. The original fetched the
# document from a URL; kiln reads it from the function's input store (make_inputs.py writes it from a fixed seed).
import json
import time

import kiln_store


def lambda_handler(event, context):
    text = kiln_store.get(event["key"]).decode("utf-8")
    start = time.perf_counter()
    parsed = json.loads(text)
    out = json.dumps(parsed, indent=4)
    latency = time.perf_counter() - start
    return {"latency_s": latency, "entries": len(parsed), "input_bytes": len(text), "output_bytes": len(out)}
