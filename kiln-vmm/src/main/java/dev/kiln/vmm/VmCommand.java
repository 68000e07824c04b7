package dev.kiln.vmm;

/** The commands that change a VM's phase. */
public enum VmCommand {
    PAUSE, RESUME, STOP, KILL, UPDATE
}
