package dev.kiln.host;

/** A disk to attach: a host file, read-only or writable. */
public record DiskRequest(String path, boolean readOnly) {}
