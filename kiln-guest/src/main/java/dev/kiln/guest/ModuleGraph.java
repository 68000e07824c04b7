package dev.kiln.guest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dependency graph of a kernel's modules as {@code depmod} wrote it to {@code modules.dep}. Pure: it only
 * parses text and orders names; it never touches the file system.
 */
final class ModuleGraph {
    private static final List<String> COMPRESSED_SUFFIXES = List.of(".ko.xz", ".ko.zst", ".ko.gz");

    /** Relative module path to its dependencies (relative paths), in the order modules.dep lists them. */
    private final Map<String, List<String>> dependencies;
    /** Module name to its relative path. */
    private final Map<String, String> pathsByName;
    /** Names of modules built into the kernel. */
    private final Set<String> builtin;

    private ModuleGraph(Map<String, List<String>> dependencies, Map<String, String> pathsByName, Set<String> builtin) {
        this.dependencies = dependencies;
        this.pathsByName = pathsByName;
        this.builtin = builtin;
    }

    /**
     * Parses {@code modules.dep} (lines {@code path: dep dep ...}) and {@code modules.builtin} (one path a line;
     * pass "" when there is none).
     */
    static ModuleGraph parse(String modulesDep, String modulesBuiltin) {
        var dependencies = new HashMap<String, List<String>>();
        var pathsByName = new HashMap<String, String>();
        int lineNumber = 0;
        for (String line : modulesDep.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new GuestException(GuestError.MODULES_INVALID,
                        "modules.dep line " + lineNumber + " is not 'module: dependencies': " + line);
            }
            String path = line.substring(0, colon).trim();
            String rest = line.substring(colon + 1).trim();
            List<String> deps = rest.isEmpty() ? List.of() : List.of(rest.split("\\s+"));
            dependencies.put(path, deps);
            pathsByName.put(moduleName(path), path);
        }
        var builtin = new HashSet<String>();
        for (String line : modulesBuiltin.split("\n")) {
            if (!line.isBlank()) {
                builtin.add(moduleName(line.trim()));
            }
        }
        return new ModuleGraph(Map.copyOf(dependencies), Map.copyOf(pathsByName), Set.copyOf(builtin));
    }

    /** The module name of a path as the kernel knows it: {@code kernel/fs/ext4/ext4.ko} is {@code ext4}. */
    static String moduleName(String path) {
        String base = path.substring(path.lastIndexOf('/') + 1);
        for (String suffix : COMPRESSED_SUFFIXES) {
            if (base.endsWith(suffix)) {
                base = base.substring(0, base.length() - suffix.length());
            }
        }
        if (base.endsWith(".ko")) {
            base = base.substring(0, base.length() - 3);
        }
        return base.replace('-', '_');
    }

    /** Whether a module path names a compressed module file. */
    static boolean isCompressed(String path) {
        return COMPRESSED_SUFFIXES.stream().anyMatch(path::endsWith);
    }

    /**
     * The relative paths of the named modules and everything they depend on, each after all of its
     * dependencies, each once. Modules built into the kernel are left out.
     *
     * @throws GuestException MODULES_NOT_FOUND for an unknown name, MODULES_INVALID for a dependency that
     *                        modules.dep does not describe or for a dependency cycle
     */
    List<String> loadOrder(List<String> names) {
        var order = new LinkedHashSet<String>();
        for (String name : names) {
            String normalized = name.replace('-', '_');
            if (builtin.contains(normalized)) {
                continue;
            }
            String path = pathsByName.get(normalized);
            if (path == null) {
                throw new GuestException(GuestError.MODULES_NOT_FOUND,
                        "kernel module '" + name + "' is neither in modules.dep nor built into the kernel",
                        "use a kernel built with this module (Debian's linux-image-amd64 has it)");
            }
            visit(path, new ArrayList<>(), order);
        }
        return List.copyOf(order);
    }

    private void visit(String path, List<String> stack, Set<String> order) {
        if (order.contains(path)) {
            return;
        }
        if (stack.contains(path)) {
            var cycle = new ArrayList<>(stack.subList(stack.indexOf(path), stack.size()));
            cycle.add(path);
            throw new GuestException(GuestError.MODULES_INVALID,
                    "modules.dep has a dependency cycle: " + String.join(" -> ", cycle.stream().map(ModuleGraph::moduleName).toList()));
        }
        stack.add(path);
        // depmod lists a module's dependencies so that loading them last to first works; walk them in that
        // order, and each one's own dependencies first.
        var deps = new ArrayList<>(dependencies.get(path));
        Collections.reverse(deps);
        for (String dep : deps) {
            if (!dependencies.containsKey(dep)) {
                throw new GuestException(GuestError.MODULES_INVALID,
                        "module " + moduleName(path) + " depends on " + dep + ", which modules.dep does not describe");
            }
            visit(dep, stack, order);
        }
        stack.removeLast();
        order.add(path);
    }
}
