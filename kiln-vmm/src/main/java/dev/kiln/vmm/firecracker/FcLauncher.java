package dev.kiln.vmm.firecracker;

import dev.kiln.vmm.VmHandle;
import dev.kiln.vmm.VmSpec;
import java.util.Optional;

/**
 * Starts Firecracker processes and finds them again. The driver's one seam to the host's processes: the real one runs
 * {@code firecracker} (or the jailer); a test's fake serves a fake API in-process behind a stand-in process.
 */
interface FcLauncher {
    /** Fails with VMM_NOT_INSTALLED when what {@link #launch} runs is missing; changes nothing. */
    void checkInstalled();

    /**
     * Starts Firecracker for {@code spec}: its stdout (the guest's serial console) appends to
     * {@link FcLayout#consoleLog()}, its stderr to {@link FcLayout#stderrLog()}, in a session of its own. Returns once
     * the process runs; the API socket comes later. A jailed layout's jail is prepared first.
     */
    FcProcess launch(VmSpec spec, FcLayout layout);

    /** The still-running process of a VM started earlier, if the handle's pid is still that process. */
    Optional<FcProcess> attach(VmHandle handle);
}
