#!/bin/sh
# Run by acpid on an ACPI power-button press (QEMU system_powerdown): stop everything, release the disks,
# power off. QEMU exits when the guest powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
echo "kiln: power button pressed, powering off" > /dev/console
kill -TERM -1 2>/dev/null
usleep 300000
kill -KILL -1 2>/dev/null
sync
# Containers' overlays and the scratch disk (under /var/lib/kiln) first, then the extra disks.
for mnt in $(awk '$2 ~ "^/var/lib/kiln" || $2 ~ "^/mnt/" { print $2 }' /proc/mounts | sort -r); do
    umount "$mnt" 2>/dev/null || mount -o remount,ro "$mnt" 2>/dev/null
done
sync
poweroff -f
