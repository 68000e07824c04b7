package dev.kiln.cluster.api;

import dev.kiln.cluster.ClusterException;
import dev.kiln.cluster.model.Kind;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a request line (method, path, query) into an {@link ApiCall}, or says why it cannot: 404 for an unknown
 * path or plural, 405 (with the allowed methods) for a wrong method, 400 for a bad or unknown query parameter.
 */
final class Routes {
    /** The prefix of every resource path. */
    static final String BASE = "/apis/kiln.dev/v1/";
    static final String HEALTH = "/healthz";

    private Routes() {
    }

    static ApiCall parse(String method, String rawPath, Map<String, String> query) {
        String path = rawPath.length() > 1 && rawPath.endsWith("/") ? rawPath.substring(0, rawPath.length() - 1)
                : rawPath;
        if (path.equals(HEALTH)) {
            allow(method, path, "GET");
            params(query, path);
            return new ApiCall.Health();
        }
        if (!path.startsWith(BASE)) {
            throw noSuchEndpoint(method, path);
        }
        List<String> seg = List.of(path.substring(BASE.length()).split("/"));
        if (seg.isEmpty() || seg.contains("")) {
            throw noSuchEndpoint(method, path);
        }
        Kind kind = plural(seg.getFirst(), path);
        return switch (seg.size()) {
            case 1 -> collection(method, path, kind, query);
            case 2 -> item(method, path, kind, seg.get(1), query);
            case 3 -> subresource(method, path, kind, seg.get(1), seg.get(2), query);
            default -> throw noSuchEndpoint(method, path);
        };
    }

    private static ApiCall collection(String method, String path, Kind kind, Map<String, String> query) {
        allow(method, path, "GET", "POST");
        if (method.equals("POST")) {
            params(query, path);
            return new ApiCall.Create(kind);
        }
        if (flag(query, "watch")) {
            params(query, path, "watch", "resourceVersion");
            return new ApiCall.Watch(kind, version(query));
        }
        if (kind == Kind.EVENT) {
            params(query, path, "watch", "labelSelector", "involvedKind", "involvedName");
        } else {
            params(query, path, "watch", "labelSelector");
        }
        Optional<Kind> involvedKind = Optional.ofNullable(query.get("involvedKind")).map(Kind::parse);
        return new ApiCall.List(kind, LabelSelector.parse(query.getOrDefault("labelSelector", "")), involvedKind,
                Optional.ofNullable(query.get("involvedName")));
    }

    private static ApiCall item(String method, String path, Kind kind, String name, Map<String, String> query) {
        allow(method, path, "GET", "PUT", "DELETE");
        return switch (method) {
            case "GET" -> {
                params(query, path);
                yield new ApiCall.Get(kind, name);
            }
            case "PUT" -> {
                params(query, path, "apply");
                yield flag(query, "apply") ? new ApiCall.Apply(kind, name) : new ApiCall.Update(kind, name);
            }
            default -> {
                params(query, path);
                yield new ApiCall.Delete(kind, name);
            }
        };
    }

    private static ApiCall subresource(String method, String path, Kind kind, String name, String sub,
                                       Map<String, String> query) {
        switch (sub) {
            case "scale" -> {
                if (kind != Kind.DEPLOYMENT && kind != Kind.NODE_POOL) {
                    throw ApiProblem.notFound(kind.plural() + " cannot be scaled: only deployments and nodepools"
                            + " have a scale subresource", "scale a deployment or a nodepool");
                }
                allow(method, path, "PUT");
                params(query, path);
                return new ApiCall.Scale(kind, name);
            }
            case "log" -> {
                if (kind != Kind.POD) {
                    throw ApiProblem.notFound(kind.plural() + " have no log: only pods do",
                            "GET " + BASE + "pods/<name>/log");
                }
                allow(method, path, "GET");
                params(query, path, "container", "follow");
                return new ApiCall.PodLog(name, Optional.ofNullable(query.get("container")).filter(c -> !c.isEmpty()),
                        flag(query, "follow"));
            }
            default -> throw noSuchEndpoint(method, path);
        }
    }

    private static Kind plural(String plural, String path) {
        for (Kind k : Kind.values()) {
            if (k.plural().equals(plural)) {
                return k;
            }
        }
        String valid = Arrays.stream(Kind.values()).map(Kind::plural).collect(Collectors.joining(", "));
        String hint;
        try {
            hint = "did you mean " + BASE + Kind.parse(plural).plural() + "?";
        } catch (ClusterException e) {
            hint = "use one of " + valid;
        }
        throw ApiProblem.notFound("unknown resource type '" + plural + "' in " + path + "; valid types: " + valid,
                hint);
    }

    private static void allow(String method, String path, String... allowed) {
        if (!List.of(allowed).contains(method)) {
            throw ApiProblem.methodNotAllowed(method, path, List.of(allowed));
        }
    }

    /** Refuses a query parameter the call does not know, so that a misspelt one is not silently ignored. */
    private static void params(Map<String, String> query, String path, String... known) {
        Set<String> allowed = Set.of(known);
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw ApiProblem.badRequest("unknown query parameter '" + name + "' for " + path,
                        known.length == 0 ? "this call takes no query parameters"
                                : "known parameters here: " + String.join(", ", known));
            }
        }
    }

    private static boolean flag(Map<String, String> query, String name) {
        String value = query.get(name);
        if (value == null || value.equals("false")) {
            return false;
        }
        if (value.equals("true") || value.isEmpty()) {
            return true;
        }
        throw ApiProblem.badRequest("query parameter " + name + "=" + value + " is not true or false",
                "use " + name + "=true");
    }

    private static OptionalLong version(Map<String, String> query) {
        String value = query.get("resourceVersion");
        if (value == null || value.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long v = Long.parseLong(value);
            if (v >= 0) {
                return OptionalLong.of(v);
            }
        } catch (NumberFormatException e) {
            // falls through to the error below
        }
        throw ApiProblem.badRequest("resourceVersion '" + value + "' is not a version this server gave out",
                "use metadata.resourceVersion of a list, or leave it out to start with the current items");
    }

    private static ApiProblem noSuchEndpoint(String method, String path) {
        return ApiProblem.notFound("no such endpoint: " + method + " " + path,
                "resources are under " + BASE + "<plural>; see docs/CLUSTER-API.md");
    }
}
