# The entry point kiln bench functionbench gives every workload's function (Handler fb_wrapper.invoke): it calls the
# workload's lambda_handler and adds, under "kiln_fb", what SeBS records inside the sandbox:
#   cold         whether this invocation is the sandbox's first: a marker file in /tmp that only the first writes
#   sandbox      the marker's id, the same for every invocation a sandbox serves
#   peak_rss_kb  the runtime process's peak resident memory so far (getrusage's ru_maxrss)
# The workload's module is imported with the runtime's initialization, as a Lambda function's module is.
import os
import resource
import uuid

import handler

MARKER = "/tmp/kiln-functionbench.marker"


def invoke(event, context):
    cold = not os.path.exists(MARKER)
    if cold:
        with open(MARKER, "w") as f:
            f.write(uuid.uuid4().hex)
    with open(MARKER) as f:
        sandbox = f.read().strip()
    result = handler.lambda_handler(event, context)
    if not isinstance(result, dict):
        result = {"result": result}
    result["kiln_fb"] = {"cold": cold, "sandbox": sandbox,
                         "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
    return result
