#!/usr/bin/env bash
# Installs the Debian packages kiln needs on this host, but only those whose commands or files are missing:
#   qemu-system-x86_64 (qemu-system-x86), a /boot/vmlinuz-* kernel (linux-image-amd64), a static busybox
#   (busybox-static), mke2fs (e2fsprogs), ip and tc (iproute2), nft (nftables), runc (copied into every guest to run
#   containers), mmdebstrap (kiln image build), umoci (an OCI tool the image tests check interoperability with),
#   etcd (etcd-server: the cluster's store, started by 'kiln up'), etcdctl (etcd-client: scripts/test-hosts.sh),
#   socat (the overlay tests' TCP transfers), python3 (the tests of kiln's Python runtime for functions), and for
#   FunctionBench's native baseline and input generation (examples/functionbench: native_run.py, make_inputs.py)
#   Debian's python3-numpy, python3-pil, python3-opencv, python3-sklearn, python3-torch, python3-pyaes and
#   python3-chameleon (checked with dpkg: importing torch or cv2 takes seconds), ffmpeg (the input videos) and
#   iperf3 (the network workload's server and client).
# Does nothing unless run as root (it then only lists what is missing). Usable on its own or sourced:
#   scripts/setup-host.sh            install what is missing
#   source scripts/setup-host.sh     defines kiln_missing_packages, kiln_setup_host and kiln_has_deb
#   KILN_SKIP_SETUP=1                skip the whole check

# Whether the Debian package is installed (not merely known to dpkg, as a removed one with its config files is).
kiln_has_deb() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

kiln_missing_packages() {
    local -a missing=()
    local sbin_path="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
    PATH="$sbin_path" command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
    compgen -G '/boot/vmlinuz-*' >/dev/null || missing+=(linux-image-amd64)
    { [ -x /bin/busybox ] || PATH="$sbin_path" command -v busybox >/dev/null 2>&1; } || missing+=(busybox-static)
    PATH="$sbin_path" command -v mke2fs >/dev/null 2>&1 || missing+=(e2fsprogs)
    { PATH="$sbin_path" command -v ip >/dev/null 2>&1 && PATH="$sbin_path" command -v tc >/dev/null 2>&1; } \
        || missing+=(iproute2)
    PATH="$sbin_path" command -v nft >/dev/null 2>&1 || missing+=(nftables)
    PATH="$sbin_path" command -v runc >/dev/null 2>&1 || missing+=(runc)
    PATH="$sbin_path" command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
    PATH="$sbin_path" command -v umoci >/dev/null 2>&1 || missing+=(umoci)
    PATH="$sbin_path" command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
    PATH="$sbin_path" command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
    PATH="$sbin_path" command -v socat >/dev/null 2>&1 || missing+=(socat)
    [ -x /usr/bin/python3 ] || missing+=(python3)
    local deb
    for deb in python3-numpy python3-pil python3-opencv python3-sklearn python3-torch python3-pyaes \
        python3-chameleon; do
        kiln_has_deb "$deb" || missing+=("$deb")
    done
    PATH="$sbin_path" command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
    PATH="$sbin_path" command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
    echo "${missing[*]}"
}

kiln_setup_host() {
    [ "${KILN_SKIP_SETUP:-0}" = 1 ] && return 0
    local missing
    missing="$(kiln_missing_packages)"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "kiln: this host lacks: $missing (run as root to install them, or: sudo apt-get install $missing)" >&2
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "kiln: this host lacks: $missing, and has no apt-get to install them; install them by hand" >&2
        return 1
    fi
    echo "kiln: installing $missing ..." >&2
    # shellcheck disable=SC2086 # the package list is meant to split into words
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2 || {
        echo "kiln: installing $missing failed" >&2
        return 1
    }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    kiln_setup_host
fi
