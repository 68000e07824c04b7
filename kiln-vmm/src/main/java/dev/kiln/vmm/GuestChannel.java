package dev.kiln.vmm;

/**
 * How the host reaches the guest's agent. {@link #VSOCK} needs a guest kernel with virtio-vsock and a driver whose
 * {@link DriverCapabilities#vsock()} is true (Firecracker's hybrid vsock); {@link #NETWORK} uses the VM's tap network.
 */
public enum GuestChannel {
    NETWORK,
    VSOCK
}
