package dev.kiln.guest;

/** Why a guest image could not be built; each code carries a default hint for the user. */
public enum GuestError {
    KERNEL_NOT_FOUND("install a kernel (apt-get install linux-image-amd64) or pass an existing kernel path"),
    KERNEL_UNREADABLE("make the kernel readable by this user (Debian installs /boot/vmlinuz-* as root-only 0600)"),
    MODULES_NOT_FOUND("install the kernel's modules (apt-get install linux-image-amd64) or pass modulesDir"),
    MODULES_INVALID("reinstall the kernel package (apt-get install --reinstall linux-image-amd64) or pass a modulesDir with plain .ko files matching the kernel"),
    BUSYBOX_NOT_FOUND("apt-get install busybox-static, or pass the path of a statically linked busybox"),
    TOOL_MISSING("apt-get install e2fsprogs"),
    BUILD_FAILED("check the message above; the partial build was removed, so retrying is safe"),
    CACHE_FAILED("check that the cache directory is writable and the disk is not full");

    private final String defaultHint;

    GuestError(String defaultHint) {
        this.defaultHint = defaultHint;
    }

    /** What the user can do about this error in general. */
    public String defaultHint() {
        return defaultHint;
    }
}
