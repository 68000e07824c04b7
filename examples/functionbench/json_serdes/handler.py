# FunctionBench json_serdes: parse a JSON document, then write it with indent=4; both timed. The document is made
# from a fixed seed in the function (the original fetched one from a URL; the input store replaces that later).
import json
import random
import time


def document(entries, seed):
    rnd = random.Random(seed)
    return json.dumps([{"id": i, "name": "user%d" % rnd.randrange(10 ** 6), "score": rnd.random(),
                        "tags": [rnd.choice("abcdefgh") for _ in range(5)]} for i in range(entries)])


def lambda_handler(event, context):
    text = document(int(event["entries"]), int(event.get("seed", 42)))
    start = time.perf_counter()
    parsed = json.loads(text)
    out = json.dumps(parsed, indent=4)
    latency = time.perf_counter() - start
    return {"latency_s": latency, "entries": len(parsed), "input_bytes": len(text), "output_bytes": len(out)}
