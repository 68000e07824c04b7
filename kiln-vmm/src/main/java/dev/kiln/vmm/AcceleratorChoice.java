package dev.kiln.vmm;

import java.time.Instant;

/** The accelerator kiln uses and why: always reported, never silently chosen. */
public record AcceleratorChoice(Accelerator accelerator, String reason, Instant probedAt) {}
