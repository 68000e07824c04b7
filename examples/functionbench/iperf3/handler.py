# FunctionBench iperf3 (network bandwidth): run an iperf3 client for `seconds` against the server at server:port
# that kiln provides (the harness fills both in), from the function to the server, or from the server to the
# function when `reverse`; the client's run is timed. Returns iperf3's sent and received rates (bits per second).
import json
import subprocess
import time


def lambda_handler(event, context):
    seconds = int(event["seconds"])
    reverse = bool(event.get("reverse", False))
    command = ["iperf3", "-c", str(event["server"]), "-p", str(int(event["port"])), "-t", str(seconds), "-J"]
    if reverse:
        command.append("-R")
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    latency = time.perf_counter() - start
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    if done.returncode != 0 or "error" in report:
        raise RuntimeError("iperf3 exited with %d: %s %s" % (done.returncode, report.get("error", ""),
                                                          done.stderr.strip()))
    end = report["end"]
    return {"latency_s": latency, "reverse": bool(report["start"]["test_start"]["reverse"]),
            "seconds": end["sum_sent"]["seconds"], "sent_bytes": end["sum_sent"]["bytes"],
            "received_bytes": end["sum_received"]["bytes"],
            "sent_bits_per_second": end["sum_sent"]["bits_per_second"],
            "received_bits_per_second": end["sum_received"]["bits_per_second"],
            "retransmits": end["sum_sent"].get("retransmits", 0)}
