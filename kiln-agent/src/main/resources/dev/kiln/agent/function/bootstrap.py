#!/usr/bin/env python3
# kiln's Python runtime for functions: loads the handler named by _HANDLER ("module.function", module found in
# LAMBDA_TASK_ROOT) and serves invocations through the Lambda Runtime API at AWS_LAMBDA_RUNTIME_API, with the
# context object and error documents a Lambda handler expects. Only the standard library is used.
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime"


class Context:
    """What Lambda passes as the handler's second argument."""

    def __init__(self, request_id, deadline_ms, arn, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = json.loads(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def connection():
    host, _, port = API.rpartition(":")
    return http.client.HTTPConnection(host, int(port))


def post(conn, path, body, error_type=None):
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["Lambda-Runtime-Function-Error-Type"] = error_type
    for attempt in (1, 2):
        try:
            conn.request("POST", BASE + path, body=body, headers=headers)
            reply = conn.getresponse()
            reply.read()
            return reply.status
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # the Runtime API closes a keep-alive connection left idle while a long handler ran (the JDK's HTTP
            # server after 30 s): send it again on a new connection
            conn.close()
            if attempt == 2:
                raise


def error_document(error_type, message, stack=None):
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}).encode()


def exception_document(e, request_id=None):
    stack = traceback.format_list(traceback.extract_tb(e.__traceback__)[1:])
    doc = {"errorMessage": str(e), "errorType": type(e).__name__, "stackTrace": stack}
    if request_id:
        doc["requestId"] = request_id
    return json.dumps(doc).encode()


def load_handler(conn):
    name = os.environ.get("_HANDLER", "")
    module_name, dot, function_name = name.rpartition(".")
    if not dot or not module_name or not function_name:
        return fail_init(conn, "Runtime.MalformedHandlerName",
                         "Bad handler '%s': not enough values to unpack (expected module.function)" % name)
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT", "/var/task"))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        return fail_init(conn, "Runtime.ImportModuleError", "Unable to import module '%s': %s" % (module_name, e))
    except Exception as e:
        return fail_init(conn, "Runtime.UserCodeSyntaxError" if isinstance(e, SyntaxError) else type(e).__name__,
                         "Unable to import module '%s': %s" % (module_name, e))
    handler = getattr(module, function_name, None)
    if handler is None:
        return fail_init(conn, "Runtime.HandlerNotFound",
                         "Handler '%s' missing on module '%s'" % (function_name, module_name))
    return handler


def fail_init(conn, error_type, message):
    print("[ERROR] %s: %s" % (error_type, message), file=sys.stderr, flush=True)
    post(conn, "/init/error", error_document(error_type, message), error_type)
    sys.exit(1)


def main():
    conn = connection()
    handler = load_handler(conn)
    while True:
        try:
            conn.request("GET", BASE + "/invocation/next")
            reply = conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            conn.close()  # a connection closed while idle: ask again on a new one
            conn.request("GET", BASE + "/invocation/next")
            reply = conn.getresponse()
        event_bytes = reply.read()
        if reply.status != 200:
            print("[ERROR] the Runtime API answered %d to next: %s" % (reply.status, event_bytes[:500]),
                  file=sys.stderr, flush=True)
            sys.exit(1)
        request_id = reply.getheader("Lambda-Runtime-Aws-Request-Id")
        os.environ["_X_AMZN_TRACE_ID"] = reply.getheader("Lambda-Runtime-Trace-Id") or ""
        context = Context(request_id, int(reply.getheader("Lambda-Runtime-Deadline-Ms")),
                          reply.getheader("Lambda-Runtime-Invoked-Function-Arn"),
                          reply.getheader("Lambda-Runtime-Client-Context"))
        try:
            event = json.loads(event_bytes) if event_bytes else None
            result = handler(event, context)
        except Exception as e:
            print("[ERROR] %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
            traceback.print_exc()
            post(conn, "/invocation/%s/error" % request_id, exception_document(e, request_id), "Unhandled")
            continue
        try:
            body = json.dumps(result).encode()
        except (TypeError, ValueError) as e:
            post(conn, "/invocation/%s/error" % request_id,
                 error_document("Runtime.MarshalError", "Unable to marshal response: %s" % e), "Runtime.MarshalError")
            continue
        post(conn, "/invocation/%s/response" % request_id, body)


if __name__ == "__main__":
    main()
