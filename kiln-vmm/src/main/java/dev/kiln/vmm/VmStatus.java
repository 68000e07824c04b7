package dev.kiln.vmm;

/** A snapshot of one VM as its driver sees it. */
public record VmStatus(VmHandle handle, VmPhase phase) {}
