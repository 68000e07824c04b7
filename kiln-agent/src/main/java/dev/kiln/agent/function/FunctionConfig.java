package dev.kiln.agent.function;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a slot needs to know of its function: identity, handler, memory, limits and the function's own environment.
 *
 * @param initTimeout how long the runtime may take to start and load the handler before its first invocation fails
 */
public record FunctionConfig(String name, String version, String arn, String region, String handler, int memoryMb,
                             Duration timeout, Duration initTimeout, Map<String, String> environment,
                             String taskRoot) {
    public FunctionConfig {
        environment = Map.copyOf(environment);
    }

    /**
     * The runtime's environment as Lambda sets it: the function's own variables first, then Lambda's reserved ones
     * (which win), with the Runtime API at {@code runtimeApi}.
     */
    public Map<String, String> runtimeEnvironment(String runtimeApi) {
        Map<String, String> env = new LinkedHashMap<>(environment);
        env.put("PATH", "/usr/local/bin:/usr/bin:/bin:/opt/bin");
        env.put("LANG", "C.UTF-8");
        env.put("TZ", ":UTC");
        env.put("AWS_LAMBDA_RUNTIME_API", runtimeApi);
        env.put("_HANDLER", handler);
        env.put("LAMBDA_TASK_ROOT", taskRoot);
        env.put("AWS_LAMBDA_FUNCTION_NAME", name);
        env.put("AWS_LAMBDA_FUNCTION_VERSION", version);
        env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", Integer.toString(memoryMb));
        env.put("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/" + name);
        env.put("AWS_LAMBDA_LOG_STREAM_NAME", "kiln/" + version);
        env.put("AWS_REGION", region);
        env.put("AWS_DEFAULT_REGION", region);
        env.put("AWS_EXECUTION_ENV", "kiln");
        return env;
    }
}
