package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.AgentProtocol;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every call of the agent's API as a closed set of records: {@link #parse} is the one place that maps a method
 * and path to a call, and {@link HttpApi} handles each in one exhaustive switch.
 */
sealed interface ApiCall {
    record Health() implements ApiCall { }
    record Facts() implements ApiCall { }
    record Pull() implements ApiCall { }
    record Create() implements ApiCall { }
    record ListContainers() implements ApiCall { }
    record Inspect(String id) implements ApiCall { }
    record Stop(String id, Optional<Duration> timeout) implements ApiCall { }
    record Remove(String id, boolean force) implements ApiCall { }
    record Exec(String id) implements ApiCall { }
    record Logs(String id, boolean follow, LogStream stream) implements ApiCall { }
    record Stats(String id) implements ApiCall { }
    record PutFile(String id, String path, int mode) implements ApiCall { }
    record GetFile(String id, String path) implements ApiCall { }
    record FunctionCode() implements ApiCall { }
    record FunctionStart() implements ApiCall { }
    record FunctionGet() implements ApiCall { }
    record FunctionStop() implements ApiCall { }
    record FunctionInvoke() implements ApiCall { }
    record Identity() implements ApiCall { }
    record IdentityPrepare() implements ApiCall { }
    record PodNetworkPut(String pod) implements ApiCall { }
    record PodNetworkDelete(String pod) implements ApiCall { }

    /** Which output of a container to read. */
    enum LogStream { STDOUT, STDERR, BOTH }

    Pattern ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    /** The call for a request; NOT_FOUND for unknown paths, METHOD_NOT_ALLOWED for a wrong method. */
    static ApiCall parse(String method, String path, Map<String, String> query) {
        if (!path.startsWith(AgentProtocol.API_PREFIX + "/")) {
            throw notFound(path);
        }
        List<String> parts = List.of(path.substring(AgentProtocol.API_PREFIX.length() + 1).split("/", -1));
        String top = parts.getFirst();
        return switch (parts.size()) {
            case 1 -> switch (top) {
                case "health" -> only(method, "GET", new Health());
                case "facts" -> only(method, "GET", new Facts());
                case "identity" -> only(method, "POST", new Identity());
                case "containers" -> switch (method) {
                    case "GET" -> new ListContainers();
                    case "POST" -> new Create();
                    default -> throw notAllowed(method, path);
                };
                case "function" -> switch (method) {
                    case "GET" -> new FunctionGet();
                    case "POST" -> new FunctionStart();
                    case "DELETE" -> new FunctionStop();
                    default -> throw notAllowed(method, path);
                };
                default -> throw notFound(path);
            };
            case 2 -> {
                if (top.equals("images") && parts.get(1).equals("pull")) {
                    yield only(method, "POST", new Pull());
                }
                if (top.equals("identity") && parts.get(1).equals("prepare")) {
                    yield only(method, "POST", new IdentityPrepare());
                }
                if (top.equals("function") && parts.get(1).equals("code")) {
                    yield only(method, "PUT", new FunctionCode());
                }
                if (top.equals("function") && parts.get(1).equals("invoke")) {
                    yield only(method, "POST", new FunctionInvoke());
                }
                if (!top.equals("containers")) {
                    throw notFound(path);
                }
                String id = id(parts.get(1));
                yield switch (method) {
                    case "GET" -> new Inspect(id);
                    case "DELETE" -> new Remove(id, bool(query, AgentProtocol.PARAM_FORCE));
                    default -> throw notAllowed(method, path);
                };
            }
            case 3 -> {
                if (top.equals("pods") && parts.get(2).equals("network")) {
                    String pod = PodNetworks.requireName(parts.get(1));
                    yield switch (method) {
                        case "PUT" -> new PodNetworkPut(pod);
                        case "DELETE" -> new PodNetworkDelete(pod);
                        default -> throw notAllowed(method, path);
                    };
                }
                if (!top.equals("containers")) {
                    throw notFound(path);
                }
                String id = id(parts.get(1));
                yield switch (parts.get(2)) {
                    case "stop" -> only(method, "POST", new Stop(id,
                            Optional.ofNullable(query.get(AgentProtocol.PARAM_TIMEOUT)).map(ApiCall::timeout)));
                    case "exec" -> only(method, "POST", new Exec(id));
                    case "logs" -> only(method, "GET", new Logs(id, bool(query, AgentProtocol.PARAM_FOLLOW),
                            stream(query.getOrDefault(AgentProtocol.PARAM_STREAM, "both"))));
                    case "stats" -> only(method, "GET", new Stats(id));
                    case "files" -> {
                        String file = Optional.ofNullable(query.get(AgentProtocol.PARAM_PATH))
                                .orElseThrow(() -> bad("files needs ?path=/absolute/path"));
                        yield switch (method) {
                            case "GET" -> new GetFile(id, file);
                            case "PUT" -> new PutFile(id, file, mode(query.getOrDefault(AgentProtocol.PARAM_MODE, "0644")));
                            default -> throw notAllowed(method, path);
                        };
                    }
                    default -> throw notFound(path);
                };
            }
            default -> throw notFound(path);
        };
    }

    private static ApiCall only(String method, String allowed, ApiCall call) {
        if (!method.equals(allowed)) {
            throw new AgentException(AgentErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed here; use " + allowed);
        }
        return call;
    }

    private static String id(String text) {
        if (!ID.matcher(text).matches()) {
            throw bad("invalid container id or name '" + text + "'");
        }
        return text;
    }

    private static boolean bool(Map<String, String> query, String name) {
        String v = query.getOrDefault(name, "false");
        return switch (v) {
            case "true", "1", "" -> true;
            case "false", "0" -> false;
            default -> throw bad(name + " must be true or false: " + v);
        };
    }

    private static LogStream stream(String text) {
        return switch (text) {
            case "stdout" -> LogStream.STDOUT;
            case "stderr" -> LogStream.STDERR;
            case "both" -> LogStream.BOTH;
            default -> throw bad("stream must be stdout, stderr or both: " + text);
        };
    }

    /** {@code 10} (seconds), {@code 500ms}, {@code 10s}, {@code PT10S}. */
    static Duration timeout(String text) {
        if (text.chars().allMatch(Character::isDigit) && !text.isEmpty()) {
            return Duration.ofSeconds(Long.parseLong(text));
        }
        try {
            return AgentConfig.duration("timeout", text);
        } catch (AgentException e) {
            throw bad("timeout must be seconds or a duration like 500ms, 10s, PT10S: " + text);
        }
    }

    private static int mode(String text) {
        try {
            int mode = Integer.parseInt(text, 8);
            if (mode < 0 || mode > 07777) {
                throw new NumberFormatException();
            }
            return mode;
        } catch (NumberFormatException e) {
            throw bad("mode must be octal permission bits like 0644: " + text);
        }
    }

    private static AgentException bad(String message) {
        return new AgentException(AgentErrorCode.BAD_REQUEST, message);
    }

    private static AgentException notFound(String path) {
        return new AgentException(AgentErrorCode.NOT_FOUND, "no such endpoint: " + path,
                "see AgentProtocol for the endpoints");
    }

    private static AgentException notAllowed(String method, String path) {
        return new AgentException(AgentErrorCode.METHOD_NOT_ALLOWED, method + " is not allowed on " + path);
    }
}
