# FunctionBench-style mapreduce: count the mentions of a fixed list of programming languages in text objects. One
# function plays three roles, chosen by the event's "role":
#   driver  {"keys": [...], "mappers": N}: splits the keys among N mapper invocations (run concurrently), then invokes
#           one reducer on their partial counts; returns the counts. Its latency_s spans the fan-out and the reduce.
#   mapper  {"keys": [...], "output_key": K}: counts the mentions in its objects (words compared case-insensitively)
#           and stores the partial counts (JSON) under K.
#   reducer {"keys": [...], "output_key": K}: sums the partial counts stored under the keys and stores them under K.
# The driver invokes this same function (context.function_name) for the other roles: over Lambda's Invoke API at
# KILN_LAMBDA_URL when that is set (in kiln), in-process otherwise (a native run). Outputs go under
# outputs/mapreduce/<job>/, the job being the event's "job" or a fresh id, so that concurrent drivers do not mix.
import collections
import concurrent.futures
import json
import os
import re
import time
import urllib.parse
import urllib.request
import uuid

import kiln_store

LANGUAGES = ["python", "java", "javascript", "golang", "rust", "ruby", "haskell", "kotlin", "scala", "swift",
             "erlang", "elixir", "perl", "fortran", "cobol", "lisp"]
WORD = re.compile(r"[a-z]+")


def invoke(context, event):
    """The result of this function run with the event: a Lambda invocation in kiln, a call natively."""
    base = os.environ.get("KILN_LAMBDA_URL")
    if not base:
        return lambda_handler(event, context)
    url = "%s/2015-03-31/functions/%s/invocations" % (base.rstrip("/"), urllib.parse.quote(context.function_name))
    request = urllib.request.Request(url, data=json.dumps(event).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=900) as answer:
        body = answer.read()
        if answer.headers.get("X-Amz-Function-Error"):
            raise RuntimeError("the %s invocation failed: %s" % (event["role"], body.decode(errors="replace")))
    return json.loads(body)


def driver(event, context):
    keys = list(event["keys"])
    mappers = max(1, min(int(event["mappers"]), len(keys)))
    prefix = "outputs/mapreduce/%s/" % event.get("job", uuid.uuid4().hex)
    shares = [keys[i::mappers] for i in range(mappers)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(mappers) as pool:
        mapped = list(pool.map(lambda i: invoke(context, {"role": "mapper", "keys": shares[i],
                                                         "output_key": prefix + "partial-%d.json" % i}),
                               range(mappers)))
    map_done = time.perf_counter()
    reduced = invoke(context, {"role": "reducer", "keys": [m["output_key"] for m in mapped],
                               "output_key": prefix + "counts.json"})
    latency = time.perf_counter() - start
    return {"latency_s": latency, "map_s": map_done - start, "reduce_s": latency - (map_done - start),
            "mappers": mappers, "keys": len(keys), "words": sum(m["words"] for m in mapped),
            "mapper_latency_s": [m["latency_s"] for m in mapped], "reducer_latency_s": reduced["latency_s"],
            "counts": reduced["counts"], "output_key": reduced["output_key"]}


def mapper(event, context):
    texts = [kiln_store.get(key).decode("utf-8") for key in event["keys"]]
    start = time.perf_counter()
    counts = collections.Counter()
    words = 0
    for text in texts:
        tokens = WORD.findall(text.lower())
        words += len(tokens)
        counts.update(tokens)
    partial = {name: counts[name] for name in LANGUAGES}
    latency = time.perf_counter() - start
    kiln_store.put(event["output_key"], json.dumps(partial).encode())
    return {"latency_s": latency, "keys": len(texts), "words": words, "output_key": event["output_key"]}


def reducer(event, context):
    partials = [json.loads(kiln_store.get(key)) for key in event["keys"]]
    start = time.perf_counter()
    counts = {name: sum(p[name] for p in partials) for name in LANGUAGES}
    latency = time.perf_counter() - start
    kiln_store.put(event["output_key"], json.dumps(counts).encode())
    return {"latency_s": latency, "partials": len(partials), "counts": counts, "output_key": event["output_key"]}


ROLES = {"driver": driver, "mapper": mapper, "reducer": reducer}


def lambda_handler(event, context):
    role = event.get("role", "driver")
    if role not in ROLES:
        raise ValueError("role is %r, not one of %s" % (role, sorted(ROLES)))
    return ROLES[role](event, context)
