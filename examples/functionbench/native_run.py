# Runs one FunctionBench workload's handler directly on the host, outside any sandbox: the baseline that shows
# what emulation costs. Usage: python3 native_run.py WORKLOAD_DIR EVENT_JSON; prints the handler's result (JSON).
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
    directory, event = sys.argv[1], json.loads(sys.argv[2])
    spec = importlib.util.spec_from_file_location("handler", os.path.join(directory, "handler.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print(json.dumps(module.lambda_handler(event, Context())))


if __name__ == "__main__":
    main()
