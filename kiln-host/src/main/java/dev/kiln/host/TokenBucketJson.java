package dev.kiln.host;

/** A token bucket as the API writes it: refillTime in milliseconds (Firecracker's unit). */
public record TokenBucketJson(long size, long oneTimeBurst, long refillTime) {}
