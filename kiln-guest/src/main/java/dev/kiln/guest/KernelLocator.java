package dev.kiln.guest;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Finds the kernel, its release and the modules the guest needs, and checks that they are usable. */
final class KernelLocator {
    private static final Pattern VERSION_PART = Pattern.compile("\\d+|\\D+");
    private static final List<String> KERNEL_PREFIXES = List.of("vmlinuz-", "vmlinux-", "bzImage-");

    private final HostLayout host;

    KernelLocator(HostLayout host) {
        this.host = host;
    }

    ResolvedKernel resolve(GuestImageOptions options) {
        Path kernel = options.kernel().map(KernelLocator::checkedKernel).orElseGet(this::newestHostKernel);
        Optional<String> headerVersion = bzImageVersion(kernel);
        Optional<String> version = headerVersion.or(() -> versionFromFileName(kernel))
                .or(() -> options.modulesDir().map(dir -> dir.getFileName().toString()));
        Path modulesDir = options.modulesDir().orElseGet(() -> host.modulesRoot().resolve(version.orElseThrow(
                () -> new GuestException(GuestError.MODULES_NOT_FOUND,
                        "cannot tell the release of kernel " + kernel + " to find its modules",
                        "pass modulesDir (the directory holding modules.dep) explicitly"))));
        if (!Files.isRegularFile(modulesDir.resolve("modules.dep"))) {
            throw new GuestException(GuestError.MODULES_NOT_FOUND,
                    "no modules.dep in " + modulesDir + " for kernel " + kernel,
                    options.modulesDir().isPresent()
                            ? "pass the directory that holds modules.dep (like /lib/modules/<version>)"
                            : "apt-get install linux-image-" + version.orElse("amd64")
                                    + " (the modules must match the kernel), or pass modulesDir");
        }
        List<KernelModule> modules = modules(modulesDir, GuestLayout.MODULES);
        return new ResolvedKernel(kernel, version.orElseThrow(), modulesDir, modules);
    }

    private static Path checkedKernel(Path kernel) {
        if (!Files.isRegularFile(kernel)) {
            throw new GuestException(GuestError.KERNEL_NOT_FOUND, "kernel " + kernel + " does not exist",
                    "check the path, or leave the kernel out to use the newest /boot/vmlinuz-*");
        }
        return kernel;
    }

    private Path newestHostKernel() {
        var found = new ArrayList<Path>();
        var withModules = new ArrayList<Path>();
        if (Files.isDirectory(host.bootDir())) {
            try (Stream<Path> files = Files.list(host.bootDir())) {
                files.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).forEach(found::add);
            } catch (IOException e) {
                throw new GuestException(GuestError.KERNEL_NOT_FOUND, "cannot list " + host.bootDir(), e);
            }
        }
        for (Path kernel : found) {
            String version = versionFromFileName(kernel).orElseThrow();
            if (Files.isRegularFile(host.modulesRoot().resolve(version).resolve("modules.dep"))) {
                withModules.add(kernel);
            }
        }
        if (withModules.isEmpty()) {
            String message = found.isEmpty()
                    ? "no kernel found in " + host.bootDir() + " (looked for vmlinuz-*)"
                    : "no kernel in " + host.bootDir() + " has its modules in " + host.modulesRoot() + ": " + found;
            throw new GuestException(GuestError.KERNEL_NOT_FOUND, message,
                    "apt-get install linux-image-amd64, or pass a kernel and its modulesDir");
        }
        withModules.sort(Comparator.comparing((Path p) -> versionFromFileName(p).orElseThrow(),
                KernelLocator::compareVersions));
        return withModules.getLast();
    }

    /** Compares kernel releases numerically where they hold numbers: 6.1.0-10 is newer than 6.1.0-9. */
    static int compareVersions(String a, String b) {
        Matcher ma = VERSION_PART.matcher(a);
        Matcher mb = VERSION_PART.matcher(b);
        while (true) {
            boolean hasA = ma.find();
            boolean hasB = mb.find();
            if (!hasA || !hasB) {
                return Boolean.compare(hasA, hasB);
            }
            String pa = ma.group();
            String pb = mb.group();
            boolean numeric = Character.isDigit(pa.charAt(0)) && Character.isDigit(pb.charAt(0));
            int c = numeric ? new BigInteger(pa).compareTo(new BigInteger(pb)) : pa.compareTo(pb);
            if (c != 0) {
                return c;
            }
        }
    }

    static Optional<String> versionFromFileName(Path kernel) {
        String name = kernel.getFileName().toString();
        return KERNEL_PREFIXES.stream().filter(name::startsWith).findFirst()
                .map(prefix -> name.substring(prefix.length()))
                .filter(v -> !v.isEmpty());
    }

    /**
     * The release written into an x86 bzImage's setup header (the "kernel_version" field), or empty when the
     * file is not a bzImage.
     */
    static Optional<String> bzImageVersion(Path kernel) {
        if (!Files.isReadable(kernel)) {
            throw new GuestException(GuestError.KERNEL_UNREADABLE, "kernel " + kernel + " is not readable by this user");
        }
        try (FileChannel channel = FileChannel.open(kernel)) {
            ByteBuffer header = ByteBuffer.allocate(0x210).order(ByteOrder.LITTLE_ENDIAN);
            if (channel.read(header, 0) < header.capacity()) {
                return Optional.empty();
            }
            if (header.getInt(0x202) != 0x53726448) { // "HdrS"
                return Optional.empty();
            }
            int offset = Short.toUnsignedInt(header.getShort(0x20E));
            if (offset == 0) {
                return Optional.empty();
            }
            ByteBuffer text = ByteBuffer.allocate(128);
            channel.read(text, offset + 0x200L);
            String s = new String(text.array(), 0, text.position(), StandardCharsets.US_ASCII);
            int end = 0;
            while (end < s.length() && s.charAt(end) > ' ' && s.charAt(end) < 0x7f) {
                end++;
            }
            return end == 0 ? Optional.empty() : Optional.of(s.substring(0, end));
        } catch (IOException e) {
            throw new GuestException(GuestError.KERNEL_UNREADABLE, "cannot read kernel " + kernel, e);
        }
    }

    /** The named modules and their dependencies in load order, each checked to be a plain .ko file. */
    static List<KernelModule> modules(Path modulesDir, List<String> names) {
        String dep = readText(modulesDir.resolve("modules.dep"));
        Path builtinFile = modulesDir.resolve("modules.builtin");
        String builtin = Files.isRegularFile(builtinFile) ? readText(builtinFile) : "";
        var result = new ArrayList<KernelModule>();
        for (String relative : ModuleGraph.parse(dep, builtin).loadOrder(names)) {
            if (ModuleGraph.isCompressed(relative)) {
                throw new GuestException(GuestError.MODULES_INVALID,
                        "module " + relative + " in " + modulesDir + " is compressed; only plain .ko modules are supported",
                        "use a kernel whose modules are not compressed (Debian bookworm ships plain .ko files)");
            }
            Path file = modulesDir.resolve(relative);
            if (!Files.isRegularFile(file)) {
                throw new GuestException(GuestError.MODULES_INVALID,
                        "modules.dep lists " + relative + " but " + file + " does not exist");
            }
            result.add(new KernelModule(ModuleGraph.moduleName(relative), relative, file));
        }
        return result;
    }

    /**
     * Checks that each module was built for this kernel release (its "vermagic"), so a mismatch fails the
     * build instead of every insmod in the guest.
     */
    static void checkVermagic(List<KernelModule> modules, String kernelVersion) {
        byte[] needle = "vermagic=".getBytes(StandardCharsets.US_ASCII);
        for (KernelModule module : modules) {
            byte[] bytes;
            try (InputStream in = Files.newInputStream(module.file())) {
                bytes = in.readAllBytes();
            } catch (IOException e) {
                throw new GuestException(GuestError.MODULES_INVALID, "cannot read module " + module.file(), e);
            }
            int at = indexOf(bytes, needle);
            if (at < 0) {
                continue;
            }
            int start = at + needle.length;
            int end = start;
            while (end < bytes.length && bytes[end] != ' ' && bytes[end] != 0) {
                end++;
            }
            String moduleVersion = new String(bytes, start, end - start, StandardCharsets.US_ASCII);
            if (!moduleVersion.equals(kernelVersion)) {
                throw new GuestException(GuestError.MODULES_INVALID,
                        "module " + module.file() + " is built for kernel " + moduleVersion
                                + " but the kernel is " + kernelVersion,
                        "pass the modulesDir that belongs to the kernel (/lib/modules/" + kernelVersion + ")");
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GuestException(GuestError.MODULES_NOT_FOUND, "cannot read " + file, e);
        }
    }
}
