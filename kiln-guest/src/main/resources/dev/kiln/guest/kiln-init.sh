#!/bin/sh
# kiln guest, stage 2: PID 1 on the root filesystem.
# Reads kiln.* from the kernel command line, sets up the hostname, network and extra disks, starts acpid
# (power button) and httpd (the control endpoint), prints the ready line, then stays alive reaping children.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
cd /

say() {
    echo "$*" > /dev/console
}

fail() {
    say "KILN_GUEST_FAILED reason=$1"
    sync
    poweroff -f
    while :; do sleep 1; done
}

id= ip= gw= mtu= token= name= scratch=
set -f
for arg in $(cat /proc/cmdline); do
    case "$arg" in
        kiln.id=*) id=${arg#kiln.id=} ;;
        kiln.ip=*) ip=${arg#kiln.ip=} ;;
        kiln.gw=*) gw=${arg#kiln.gw=} ;;
        kiln.mtu=*) mtu=${arg#kiln.mtu=} ;;
        kiln.token=*) token=${arg#kiln.token=} ;;
        kiln.hostname=*) name=${arg#kiln.hostname=} ;;
        kiln.scratch=*) scratch=${arg#kiln.scratch=} ;;
    esac
done
set +f

# What the CGI scripts need to know; /run is a tmpfs.
mkdir -p /run/kiln
printf '%s' "$id" > /run/kiln/id
( umask 077 && printf '%s' "$token" > /run/kiln/token )

[ -n "$name" ] || name=$id
[ -n "$name" ] || name=$(cat /etc/hostname)
hostname "$name"

ip link set lo up
if [ -n "$ip" ]; then
    if [ -n "$mtu" ]; then
        ip link set dev eth0 mtu "$mtu" || fail network-failed
    fi
    ip addr add "$ip" dev eth0 || fail network-failed
    ip link set eth0 up || fail network-failed
    if [ -n "$gw" ]; then
        ip route add default via "$gw" || fail network-failed
    fi
    # Announce the new MAC for this address (gratuitous ARP): the host may still map it to a VM that had it before.
    arping -U -c 1 -I eth0 "${ip%/*}" >/dev/null 2>&1 &
fi

# Containers' cgroups (runc, cgroup v2) with the controllers the agent sets limits with.
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup 2>/dev/null \
    && echo "+cpu +memory +pids +io" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null

# The agent's state: the VM's scratch disk (kiln.scratch=vdX) when it has one, else a tmpfs.
if [ -n "$scratch" ] && [ -b "/dev/$scratch" ]; then
    mount -t ext4 -o rw "/dev/$scratch" /var/lib/kiln 2>/dev/null \
        || { say "kiln: cannot mount the scratch disk /dev/$scratch"; scratch=; }
else
    scratch=
fi
[ -n "$scratch" ] || mount -t tmpfs -o mode=0755 tmpfs /var/lib/kiln

# The guest agent, started early: its JVM comes up while the rest of the guest does. init keeps it running: should
# it exit, the console says so with the end of its log (the host shows that when a boot fails), and it is started
# again, at once after a long run and with a growing pause (up to 16 s) when it keeps failing. A new agent takes
# over the containers its predecessor ran. /run/kiln/agent.pid names the running one.
if [ -x /opt/kiln/jre/bin/java ]; then
    (
        pause=1
        while :; do
            began=$(cut -d. -f1 /proc/uptime)
            LC_ALL=C.UTF-8 /opt/kiln/jre/bin/java @/opt/kiln/agent/jvm.options \
                -XX:AOTCache=/opt/kiln/agent/kiln-agent.aot -cp /opt/kiln/agent/kiln-agent.jar dev.kiln.agent.Main \
                --listen=0.0.0.0:10071 --token-file=/run/kiln/token --state-dir=/var/lib/kiln --runc=/usr/sbin/runc \
                >> /run/kiln/agent.log 2>&1 < /dev/null &
            echo $! > /run/kiln/agent.pid
            wait $!
            status=$?
            say "KILN_AGENT_EXITED status=$status"
            tail -n 20 /run/kiln/agent.log > /dev/console
            [ $(( $(cut -d. -f1 /proc/uptime) - began )) -lt 60 ] || pause=1
            sleep "$pause"
            [ "$pause" -ge 16 ] || pause=$(( pause * 2 ))
            say "kiln: starting the guest agent again"
        done
    ) &
fi

# Extra disks: /dev/vdb -> /mnt/vdb, ... The root filesystem is read-only, so /mnt is a tmpfs.
mount -t tmpfs -o mode=0755,size=64k tmpfs /mnt
for dev in /sys/block/vd*; do
    [ -e "$dev" ] || continue
    disk=${dev##*/}
    [ "$disk" = vda ] && continue
    [ "$disk" = "$scratch" ] && continue
    mkdir -p "/mnt/$disk"
    if [ "$(cat "$dev/ro")" = 1 ]; then
        # noload: a read-only device cannot replay a journal; still give a clean fs the normal path first
        mount -t ext4 -o ro "/dev/$disk" "/mnt/$disk" 2>/dev/null \
            || mount -t ext4 -o ro,noload "/dev/$disk" "/mnt/$disk" 2>/dev/null \
            || { say "kiln: cannot mount /dev/$disk read-only at /mnt/$disk; left unmounted"; rmdir "/mnt/$disk"; }
    else
        mount -t ext4 -o rw "/dev/$disk" "/mnt/$disk" 2>/dev/null \
            || { say "kiln: cannot mount /dev/$disk read-write at /mnt/$disk; left unmounted"; rmdir "/mnt/$disk"; }
    fi
done

# Power button (QEMU system_powerdown) -> /etc/acpi/PWRF/00000080
acpid -c /etc/acpi -l /run/acpid.log -p /run/acpid.pid
# The control endpoint; httpd listens before it returns.
httpd -p 10070 -h /www

address=${ip%%/*}
say "KILN_GUEST_READY id=${id:-none} ip=${address:-none}"

# PID 1 must never exit. wait reaps every child, also orphans re-parented to us.
trap '' HUP INT QUIT TERM USR1 USR2 PIPE
while :; do
    sleep 3600 &
    wait
done
