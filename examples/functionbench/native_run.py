# Runs one FunctionBench workload's handler directly on the host, outside any sandbox: the baseline that shows
# what emulation costs. Usage: python3 native_run.py WORKLOAD_DIR EVENT_JSON; prints the handler's result (JSON).
# Handlers reach the input store through kiln_store (next to this file; in a function's zip it is beside the handler),
# here the directory in KILN_STORE_DIR.
import importlib.util
import json
import os
import sys


class Context:
    function_name = "native"
    memory_limit_in_mb = 0
    aws_request_id = "native"

    def get_remaining_time_in_millis(self):
        return 900000


def main():
    directory, event = os.path.abspath(sys.argv[1]), json.loads(sys.argv[2])
    sys.path[:0] = [directory, os.path.dirname(os.path.abspath(__file__))]  # as Lambda puts the zip's root first
    spec = importlib.util.spec_from_file_location("handler", os.path.join(directory, "handler.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(json.dumps(module.lambda_handler(event, Context())))


if __name__ == "__main__":
    main()
