"""A Lambda handler in Python, unchanged from what AWS Lambda runs: kiln's bootstrap calls handler(event, context).

    kiln fn create hello --runtime python3.11 --handler app.handler --code examples/functions/python
    kiln fn invoke hello --payload '{"name": "kiln"}'
"""
import os
import platform

COLD = True


def handler(event, context):
    global COLD
    cold, COLD = COLD, False
    if event.get("fail"):
        raise ValueError("asked to fail: " + str(event["fail"]))
    return {
        "greeting": "hello, " + str(event.get("name", "world")),
        "coldStart": cold,
        "function": context.function_name,
        "memoryMb": int(context.memory_limit_in_mb),
        "requestId": context.aws_request_id,
        "remainingMs": context.get_remaining_time_in_millis(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "taskRoot": os.environ.get("LAMBDA_TASK_ROOT"),
    }
