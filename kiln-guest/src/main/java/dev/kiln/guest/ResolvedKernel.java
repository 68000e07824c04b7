package dev.kiln.guest;

import java.nio.file.Path;
import java.util.List;

/**
 * The kernel and modules a build will use, after defaults are applied and inputs checked.
 *
 * @param kernel     the kernel image
 * @param version    the kernel release ({@code uname -r})
 * @param modulesDir the module tree
 * @param modules    the modules to load, in load order
 */
record ResolvedKernel(Path kernel, String version, Path modulesDir, List<KernelModule> modules) {
    ResolvedKernel {
        modules = List.copyOf(modules);
    }
}
