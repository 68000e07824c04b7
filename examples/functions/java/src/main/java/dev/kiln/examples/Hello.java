package dev.kiln.examples;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Lambda handler in Java as AWS Lambda runs it: nothing kiln-specific. It greets, says whether the invocation was
 * a cold start (the first in this runtime), and throws when the event asks it to.
 */
public final class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    private static boolean cold = true;

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        boolean wasCold = cold;
        cold = false;
        if (event.containsKey("fail")) {
            throw new IllegalArgumentException("asked to fail: " + event.get("fail"));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("greeting", "hello, " + event.getOrDefault("name", "world"));
        out.put("coldStart", wasCold);
        out.put("function", context.getFunctionName());
        out.put("memoryMb", context.getMemoryLimitInMB());
        out.put("requestId", context.getAwsRequestId());
        out.put("java", Runtime.version().toString());
        out.put("kernel", System.getProperty("os.version"));
        return out;
    }
}
