#!/bin/busybox sh
# kiln guest, stage 1: /init of the initramfs.
# Loads the kernel modules listed in /lib/modules/kiln.order, then either answers the KVM probe
# (kiln.probe=1) or mounts the root filesystem (/dev/vda, ext4, read-only) and switches to /sbin/kiln-init.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

say() {
    echo "$*" > /dev/console
}

fail() {
    say "KILN_GUEST_FAILED reason=$1"
    sync
    poweroff -f
    while :; do sleep 1; done
}

while read -r module; do
    [ -n "$module" ] || continue
    if ! out=$(insmod "/lib/modules/$module" 2>&1); then
        say "kiln: failed to load module $module: $out"
    fi
done < /lib/modules/kiln.order

probe=0
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        kiln.probe=1) probe=1 ;;
    esac
done
if [ "$probe" = 1 ]; then
    say "KILN_PROBE_OK"
    poweroff -f
    while :; do sleep 1; done
fi

# virtio-blk probes while insmod runs, but the device node may trail it a little.
tries=0
while [ ! -b /dev/vda ] && [ "$tries" -lt 50 ]; do
    usleep 100000
    tries=$((tries + 1))
done
[ -b /dev/vda ] || fail no-root-device
mount -t ext4 -o ro /dev/vda /newroot || fail root-mount-failed
[ -x /newroot/sbin/kiln-init ] || fail no-kiln-init
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /sbin/kiln-init
fail switch-root-failed
