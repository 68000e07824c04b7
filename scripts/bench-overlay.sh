#!/usr/bin/env bash
# bench-overlay.sh: TCP throughput between two microVMs on different hosts (across kiln's VXLAN overlay) against
# two microVMs on one host (across its bridge only), in one run, on test hosts made by scripts/test-hosts.sh.
#
#   scripts/bench-overlay.sh [--runs N] [--mib M] [--json]
#
# Builds 2 test hosts (network namespaces, 3-member etcd, a kiln daemon each), boots VMs a and b on h1 and c on h2,
# then N times (default 5) each, alternating: a sends M MiB (default 32) to b, and a sends M MiB to c, with
# busybox dd | nc in the guests, timed by the sender's /proc/uptime. Prints each run and the medians (MB/s), and the
# ratio overlay / same host. Removes everything again (also on failure or Ctrl-C). Needs root.
# Under TCG the guests' CPU emulation limits both paths; the ratio is what the overlay costs on top.
set -euo pipefail

here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
project="$(dirname "$here")"
runs=5
mib=32
json=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --mib) mib="$2"; shift 2 ;;
        --json) json=1; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-overlay.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-overlay.sh: --runs takes a positive number" >&2; exit 2; }
[[ $mib =~ ^[1-9][0-9]*$ ]] || { echo "bench-overlay.sh: --mib takes a positive number" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench-overlay.sh: needs root (network namespaces, bridges, taps)" >&2; exit 1; }

export TEST_HOSTS_ROOT="${TEST_HOSTS_ROOT:-/var/lib/kiln-bench-overlay}"
export TEST_HOSTS_DAEMON_ARGS="--warm-pool 0"
hosts="$here/test-hosts.sh"
kiln() { KILN_SKIP_SETUP=1 "$project/kiln" "$@"; }
sock() { echo "$TEST_HOSTS_ROOT/h$1/kiln.sock"; }
say() { echo "bench-overlay: $*" >&2; }

cleanup() { "$hosts" down >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

"$hosts" down >/dev/null 2>&1 || true
say "making 2 test hosts ..."
"$hosts" up 2 >/dev/null
say "booting VMs a, b on h1 and c on h2 ..."
kiln --socket "$(sock 1)" vm run --name bench-a --memory 256M --detach >/dev/null
kiln --socket "$(sock 1)" vm run --name bench-b --memory 256M --detach >/dev/null
kiln --socket "$(sock 2)" vm run --name bench-c --memory 256M --detach >/dev/null
ip_of() { kiln --socket "$(sock "$1")" vm inspect "$2" --json | sed -n 's/.*"ip" *: *"\([0-9.]*\)".*/\1/p' | head -1; }
wait_running() {
    local s=$1 name=$2 _
    for _ in $(seq 1 240); do
        if kiln --socket "$(sock "$s")" vm inspect "$name" --json | grep -q '"phase" *: *"running"'; then return 0; fi
        sleep 1
    done
    say "$name did not boot in 240 s"; exit 1
}
wait_running 1 bench-a; wait_running 1 bench-b; wait_running 2 bench-c
ip_b="$(ip_of 1 bench-b)"
ip_c="$(ip_of 2 bench-c)"
say "a -> b (same host) $ip_b, a -> c (other host, overlay) $ip_c; $runs runs of $mib MiB each"

# one transfer: a receiver in the target VM, the sender's dd in a, its "copied, S seconds" parsed
# (the receiver's stdin never ends: a receiver whose stdin ends closes the connection at once)
send() {
    local target_sock=$1 target=$2 ip=$3 port=$4 out secs
    kiln --socket "$target_sock" vm exec "$target" -- \
        "setsid sh -c 'sleep 70 | timeout 60 busybox nc -l -p $port > /dev/null' > /dev/null 2>&1 < /dev/null &" \
        >/dev/null
    sleep 0.5
    # the time from dd's start to its last write into the pipe, from the guest's /proc/uptime (10 ms steps);
    # at most the pipe's and the socket's buffers are still unsent then
    out="$(kiln --socket "$(sock 1)" vm exec bench-a -- \
        "t0=\$(cut -d' ' -f1 /proc/uptime); \
         { busybox dd if=/dev/zero bs=65536 count=$((mib * 16)) 2>/dev/null; cut -d' ' -f1 /proc/uptime > /tmp/t1; } \
           | timeout 60 busybox nc -w 1 $ip $port; \
         echo \"elapsed \$t0 \$(cat /tmp/t1)\"" 2>&1)"
    secs="$(echo "$out" | awk '/^elapsed / { printf "%.2f", $3 - $2 }')"
    if [ -z "$secs" ] || ! awk -v s="$secs" 'BEGIN { exit !(s > 0) }'; then
        say "no timing in: $out"
        exit 1
    fi
    awk -v m="$mib" -v s="$secs" 'BEGIN { printf "%.1f", m * 1.048576 / s }'
}

same=()
overlay=()
for r in $(seq 1 "$runs"); do
    s="$(send "$(sock 1)" bench-b "$ip_b" $((5000 + r)))"
    o="$(send "$(sock 2)" bench-c "$ip_c" $((5000 + r)))"
    same+=("$s")
    overlay+=("$o")
    say "run $r: same host $s MB/s, across hosts $o MB/s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ms="$(median "${same[@]}")"
mo="$(median "${overlay[@]}")"
ratio="$(awk -v a="$mo" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')"
if [ "$json" = 1 ]; then
    printf '{"runs":%d,"mib":%d,"sameHostMBps":%s,"overlayMBps":%s,"ratio":%s}\n' "$runs" "$mib" "$ms" "$mo" "$ratio"
else
    echo "same host (bridge):     median $ms MB/s  (${same[*]})"
    echo "across hosts (overlay): median $mo MB/s  (${overlay[*]})"
    echo "overlay / same host:    $ratio"
fi
