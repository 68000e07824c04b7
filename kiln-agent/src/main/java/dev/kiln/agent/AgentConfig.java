package dev.kiln.agent;

import dev.kiln.api.agent.AgentErrorCode;
import dev.kiln.api.agent.AgentProtocol;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's typed configuration. Each key is kebab-case; it is read from {@code --key=value} (or
 * {@code --key value}) arguments, else from the environment as {@code KILN_AGENT_KEY} (upper case, '_' for '-'),
 * else the default.
 *
 * <pre>
 * listen          host:port to listen on                      0.0.0.0:10071
 * token-file      the per-VM token                            /run/kiln/token
 * state-dir       image cache and containers (scratch disk)  /var/lib/kiln
 * runc            the runc binary                             /usr/sbin/runc
 * registry        default registry base URL                   (none: every spec names one)
 * cgroup-parent   parent of every container's cgroup          /kiln
 * rootfs          auto | overlay | copy                       auto
 * start-timeout   how long a container may take to start      30s
 * stop-timeout    SIGTERM to SIGKILL when a stop names none   10s
 * exec-timeout    exec's default timeout                      60s
 * max-json        largest JSON body                           1MiB
 * max-file        largest file upload                         256MiB
 * max-exec-output stdout and stderr of an exec, each          1MiB
 * </pre>
 */
public record AgentConfig(String listenHost, int port, Path tokenFile, Path stateDir, Path runc,
                          Optional<URI> registry, String cgroupParent, RootfsMode rootfs, Duration startTimeout,
                          Duration stopTimeout, Duration execTimeout, long maxJsonBytes, long maxFileBytes,
                          long maxExecOutputBytes, InetSocketAddress runtimeApi) {

    /** How each container gets its root file system. */
    public enum RootfsMode { AUTO, OVERLAY, COPY }

    private static final Set<String> KEYS = Set.of("listen", "token-file", "state-dir", "runc", "registry",
            "cgroup-parent", "rootfs", "start-timeout", "stop-timeout", "exec-timeout", "max-json", "max-file",
            "max-exec-output", "runtime-api");

    public AgentConfig {
        if (port < 0 || port > 65535) {
            throw bad("port out of range: " + port);
        }
        if (!cgroupParent.startsWith("/") || cgroupParent.contains("..")) {
            throw bad("cgroup-parent must be an absolute cgroup path without '..': " + cgroupParent);
        }
        if (!stateDir.isAbsolute()) {
            throw bad("state-dir must be absolute: " + stateDir);
        }
    }

    /** The defaults, as in the guest. */
    public static AgentConfig defaults() {
        return parse(List.of(), Map.of());
    }

    /** Reads the configuration from arguments, then the environment, then the defaults. */
    public static AgentConfig parse(List<String> args, Map<String, String> env) {
        Map<String, String> given = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw bad("unexpected argument '" + arg + "'; options are --key=value with keys " + KEYS);
            }
            String key;
            String value;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                key = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else if (i + 1 < args.size()) {
                key = arg.substring(2);
                value = args.get(++i);
            } else {
                throw bad("option " + arg + " needs a value");
            }
            if (!KEYS.contains(key)) {
                throw bad("unknown option --" + key + "; known: " + KEYS);
            }
            given.put(key, value);
        }
        for (String key : KEYS) {
            String envName = "KILN_AGENT_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
            if (!given.containsKey(key) && env.containsKey(envName) && !env.get(envName).isBlank()) {
                given.put(key, env.get(envName));
            }
        }
        String listen = given.getOrDefault("listen", "0.0.0.0:" + AgentProtocol.PORT);
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw bad("listen must be host:port, e.g. 0.0.0.0:" + AgentProtocol.PORT + ": " + listen);
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw bad("listen port is not a number: " + listen);
        }
        Optional<URI> registry = Optional.ofNullable(given.get("registry")).filter(s -> !s.isBlank())
                .map(AgentConfig::registryUri);
        RootfsMode rootfs;
        try {
            rootfs = RootfsMode.valueOf(given.getOrDefault("rootfs", "auto").toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw bad("rootfs must be auto, overlay or copy: " + given.get("rootfs"));
        }
        return new AgentConfig(listen.substring(0, colon), port,
                Path.of(given.getOrDefault("token-file", AgentProtocol.TOKEN_FILE)),
                Path.of(given.getOrDefault("state-dir", AgentProtocol.STATE_DIR)),
                Path.of(given.getOrDefault("runc", "/usr/sbin/runc")),
                registry,
                given.getOrDefault("cgroup-parent", "/kiln"),
                rootfs,
                duration("start-timeout", given.getOrDefault("start-timeout", "30s")),
                duration("stop-timeout", given.getOrDefault("stop-timeout", "10s")),
                duration("exec-timeout", given.getOrDefault("exec-timeout", "60s")),
                bytes("max-json", given.getOrDefault("max-json", "1MiB")),
                bytes("max-file", given.getOrDefault("max-file", "256MiB")),
                bytes("max-exec-output", given.getOrDefault("max-exec-output", "1MiB")),
                runtimeApi(given.getOrDefault("runtime-api", AgentProtocol.RUNTIME_API)));
    }

    /** Where a function's runtime finds the Lambda Runtime API: host:port (port 0: any free port, for tests). */
    static InetSocketAddress runtimeApi(String text) {
        int colon = text.lastIndexOf(':');
        try {
            return new InetSocketAddress(text.substring(0, colon), Integer.parseInt(text.substring(colon + 1)));
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw bad("runtime-api must be host:port, e.g. " + AgentProtocol.RUNTIME_API + ": " + text);
        }
    }

    static URI registryUri(String text) {
        try {
            URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("not http(s)");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new AgentException(AgentErrorCode.BAD_REQUEST, "registry must be an http(s) base URL, e.g. "
                    + "http://10.77.0.1:5000: " + text);
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, or ISO-8601 {@code PT30S}. */
    static Duration duration(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("pt") || t.startsWith("p")) {
                return nonNegative(key, Duration.parse(text.trim()));
            }
            if (t.endsWith("ms")) {
                return nonNegative(key, Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2))));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return nonNegative(key, switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            });
        } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
            throw bad(key + " must be a duration like 500ms, 30s, 2m or PT30S: " + text);
        }
    }

    private static Duration nonNegative(String key, Duration d) {
        if (d.isNegative()) {
            throw bad(key + " must not be negative: " + d);
        }
        return d;
    }

    /** {@code 1048576}, {@code 512k}, {@code 1MiB}, {@code 2g}: binary units. */
    static long bytes(String key, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
        try {
            long unit = 1;
            char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
            switch (last) {
                case 'k' -> unit = 1L << 10;
                case 'm' -> unit = 1L << 20;
                case 'g' -> unit = 1L << 30;
                default -> { }
            }
            String number = unit == 1 ? t : t.substring(0, t.length() - 1);
            long n = Long.parseLong(number.trim());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw bad(key + " must be a byte size like 1048576, 512k, 1MiB or 2g: " + text);
        }
    }

    private static AgentException bad(String message) {
        return new AgentException(AgentErrorCode.BAD_REQUEST, message,
                "fix the agent's option or KILN_AGENT_* environment variable");
    }
}
