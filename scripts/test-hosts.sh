#!/usr/bin/env bash
# test-hosts.sh: N kiln "hosts" on this one machine (network namespaces on an underlay bridge, a shared etcd
# cluster, a kiln daemon per host) for multi-host tests and demos, and their removal. See usage() below, or -h.
set -euo pipefail

prog="${0##*/}"
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"

root="${TEST_HOSTS_ROOT:-/var/lib/kiln-testhosts}"
while [ "${root%/}" != "$root" ] && [ "$root" != / ]; do root=${root%/}; done
readonly ROOT="$root"
readonly IMAGE_CACHE="${TEST_HOSTS_IMAGE_CACHE:-$root/cache}"
readonly OWN_CACHES="${TEST_HOSTS_OWN_CACHES:-0}"
readonly NO_KERNEL="${TEST_HOSTS_NO_KERNEL:-}"
readonly TIMEOUT="${TEST_HOSTS_TIMEOUT:-180}"
readonly KILN_LAUNCHER="${TEST_HOSTS_KILN:-$here/kiln}"

readonly UL_BRIDGE=kiln-ul0          # the underlay bridge in the root namespace
readonly UL_NET=172.30.0             # its /24; host i is .(10+i), the root namespace .1
readonly UL_ADDR="$UL_NET.1"
readonly MTU=1500                    # like a real network: the overlay then carries 1450-byte guest frames
readonly ALIAS=kiln:testhosts        # the label of every root-namespace link this script creates
readonly NS_PREFIX=kiln-h            # host i's network namespace: kiln-h<i>
readonly VETH_PREFIX=kul-h           # host i's root-side veth end: kul-h<i>
readonly ETCD_CLIENT_BASE=23790      # member j: client port 23790+j, peer port 23800+j
readonly ETCD_PEER_BASE=23800
readonly ETCD_WAIT=30                # seconds to wait for etcd to become healthy
readonly STOP_WAIT=10                # seconds between SIGTERM and SIGKILL
readonly MAX_HOSTS=200
readonly MAX_ETCD=9
readonly MARKER_FILE=.kiln-testhosts # in $ROOT: 'down' removes $ROOT only when it holds this file

usage() {
    cat <<EOF
NAME
    $prog - build N kiln hosts on this machine for multi-host tests and demos, and remove them

SYNOPSIS
    $prog up N [--no-daemons] [--etcd-members M] [--dry-run]
    $prog down
    $prog status [--json]
    $prog kill hI | start hI [--dry-run] | cut hI | restore hI
    $prog etcd-kill J | etcd-start J
    $prog exec hI COMMAND [ARG...]
    $prog -h | --help

DESCRIPTION
    Each host is a network namespace with its own kiln daemon, state directory and API socket. The hosts
    share an underlay network (MTU $MTU, so guests get 1450: the VXLAN overlay adds 50 bytes) and one etcd
    cluster, which runs in the root namespace. Everything it creates is named and labelled so that 'down'
    removes exactly that and nothing else:
        underlay bridge   $UL_BRIDGE, $UL_ADDR/24, alias $ALIAS (root namespace)
        host I            namespace $NS_PREFIX<I>; veth $VETH_PREFIX<I> (root side, a port of $UL_BRIDGE, alias
                          $ALIAS) to eth0 (namespace side, $UL_NET.<10+I>/24, default route via
                          $UL_ADDR); net.ipv4.ip_forward=1 in the namespace
        etcd member J     kiln-etcd<J>, client https://$UL_ADDR:<$ETCD_CLIENT_BASE+J>, peer
                          https://$UL_ADDR:<$ETCD_PEER_BASE+J>, data in \$ROOT/etcd<J>; TLS with client and
                          peer certificates of the authority in \$ROOT/etcd-pki ('kiln etcd-certs'), so only
                          holders of \$ROOT/etcd-pki/client.key get in
        daemon of host I  in namespace $NS_PREFIX<I>:
                          kiln --state-dir \$ROOT/h<I> --socket \$ROOT/h<I>/kiln.sock daemon --bridge kiln0
                            --subnet 10.90.<I>.0/24 --cluster-cidr 10.90.0.0/16 --join <etcd client URLs>
                            --etcd-cacert, --etcd-cert, --etcd-key <files of \$ROOT/etcd-pki>
                            --host-name h<I> --advertise $UL_NET.<10+I> --api-host 0.0.0.0
                            --image-cache \$ROOT/cache
    Must run as root. Progress and errors go to standard error; 'up' prints the facts of the hosts on
    standard output as shell assignments (also written to \$ROOT/hosts.env), so eval "\$($prog up 3)" works.

COMMANDS
    up N        Build hosts h1..hN (N from 1 to $MAX_HOSTS): the underlay, the namespaces, the etcd cluster (waits
                until every member is healthy, at most ${ETCD_WAIT} s), then, one after another, a daemon per host,
                each waited for until its API answers GET /v1/health (at most TEST_HOSTS_TIMEOUT s). kiln is
                built once first, by running 'kiln --version'. Fails if any test host, the underlay or
                \$ROOT already exists: run 'down' first. On any failure it removes what it created and
                exits non-zero, saying which step failed (with the tail of the log of a failed etcd
                member or daemon).
        --no-daemons        Build the network and etcd only; start daemons later with 'start hI'.
        --etcd-members M    Members of the etcd cluster, 1 to $MAX_ETCD (default 3).
        --dry-run           Print the commands that would change the system, and change nothing.
    down        Stop the daemons (SIGTERM, SIGKILL after ${STOP_WAIT} s), kill the QEMU processes whose command
                line mentions \$ROOT, stop the etcd members, kill what else runs in the namespaces,
                delete the kiln-labelled links in them (taps, the kiln0 bridge, VXLAN devices) and the
                namespaces $NS_PREFIX<digits>, delete the links $VETH_PREFIX<digits> and $UL_BRIDGE that carry the
                alias $ALIAS, and remove \$ROOT (only when 'up' made it). Idempotent and silent when
                there is nothing to remove; exits non-zero, naming what is left, if something could
                not be removed.
    status      Each host: namespace, address, underlay link state, daemon (pid, whether its API
                answers); each etcd member: running or not, healthy or not. --json prints one JSON object.
    kill hI     kill -9 the daemon of host I and every QEMU process under \$ROOT/hI: a host crash.
                The VMs' taps and files stay, as after a real crash.
    start hI    Start the daemon of host I again (same command line, log appended) and wait until it
                answers; if it does not, stop it again and fail with its log tail.
    cut hI      Set the underlay link of host I ($VETH_PREFIX<I>) down: a network partition of that host.
    restore hI  Set it up again.
    etcd-kill J   kill -9 etcd member J. When a quorum is left, it then waits (at most ${ETCD_WAIT} s) until the
                  other members are healthy, i.e. have a leader again, so that writes right after it work.
    etcd-start J  Start etcd member J again (--initial-cluster-state existing, same data directory) and
                  wait until the cluster is healthy, or, when too few members run for a quorum, until the
                  member itself answers.
    exec hI COMMAND [ARG...]
                Run COMMAND inside the network namespace of host I (ip netns exec), e.g.
                '$prog exec h1 ping -c1 $UL_NET.12'.
    A host may be named hI or I.

ENVIRONMENT
    TEST_HOSTS_ROOT     Where state, logs and pid files go (default /var/lib/kiln-testhosts).
    TEST_HOSTS_TIMEOUT  Seconds to wait for each daemon's API (default 180).
    TEST_HOSTS_KILN     The kiln launcher to run (default: $here/kiln). The daemons get
                        KILN_SKIP_SETUP=1; the one 'kiln --version' run before them (the build) gets the
                        caller's environment, so host packages are checked once.
    TEST_HOSTS_IMAGE_CACHE  The guest image cache all daemons share (default \$ROOT/cache).
    TEST_HOSTS_OWN_CACHES   1: only h1 uses that cache; every other host gets its own, \$ROOT/h<I>/cache,
                        and so pulls its guest image from h1 (which 'up' starts, and waits to join, first)
                        instead of building it. The accelerator verdict is copied from h1's cache: the
                        hosts share one machine, so one KVM probe holds for all.
    TEST_HOSTS_NO_KERNEL    Hosts (numbers, space-separated, e.g. '3') whose daemon sees an empty /boot (a
                        tmpfs mounted in its own mount namespace): a host with no kernel to build a guest
                        image from, which takes one from another host. Needs TEST_HOSTS_OWN_CACHES=1.
    TEST_HOSTS_DAEMON_ARGS  More options for every daemon, e.g. '--warm-pool 0'.

FILES
    \$ROOT/hosts.env              KILN_TEST_ROOT, KILN_TEST_HOSTS=N, KILN_TEST_ETCD=<client URLs>,
                                 KILN_TEST_ETCD_CACERT, _CERT, _KEY (etcd's authority, kiln's client
                                 certificate and key), KILN_TEST_ETCD_MEMBERS, KILN_TEST_DAEMONS (1 or 0), and per host
                                 KILN_TEST_HOST_<I>_ADDR, _SOCKET, _NETNS, _STATE_DIR
    \$ROOT/h<I>/                  state directory of host I: kiln.sock, daemon.log, daemon.pid
    \$ROOT/etcd<J>/, etcd<J>.log, etcd<J>.pid   etcd member J
    \$ROOT/etcd-pki/             etcd's authority (ca.crt, ca.key), the members' certificate (member.crt,
                                 member.key) and kiln's client certificate (client.crt, client.key)
    \$ROOT/cache/                 the image cache all hosts share
    \$ROOT/build.log              output of the 'kiln --version' (build) and 'kiln etcd-certs' runs

EXIT STATUS
    0 on success, 1 on failure, 2 on bad usage. 'exec' exits with COMMAND's status.

EXAMPLES
    $prog up 3 && . \$ROOT/hosts.env     three hosts with daemons
    $prog up 2 --no-daemons --etcd-members 1
    $prog exec h1 etcdctl --endpoints https://$UL_ADDR:$((ETCD_CLIENT_BASE + 1)) --cacert \$ROOT/etcd-pki/ca.crt \\
        --cert \$ROOT/etcd-pki/client.crt --key \$ROOT/etcd-pki/client.key get --prefix /kiln/hosts
    $prog cut h2; sleep 35; $prog restore h2   # h2 is Lost after 30 s, then comes back
    $prog kill h3 && $prog start h3
    $prog down
EOF
}

# ---------------------------------------------------------------------------------------------- output

say() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { say "error: $*"; exit 1; }
usage_error() { say "$*"; say "see '$prog --help'"; exit 2; }

DRY_RUN=0
# quoted CMD...: the command line, quoted for the shell where needed
quoted() {
    local arg out=()
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=("$arg"); else out+=("$(printf '%q' "$arg")"); fi
    done
    echo "${out[*]}"
}

# run CMD...: runs a command that changes the system; with --dry-run only prints it
run() {
    if [ "$DRY_RUN" = 1 ]; then
        quoted "$@"
    else
        "$@"
    fi
}

# log_tail FILE: the last lines of a log since its last '=== ' line (written at each start), indented, on stderr
log_tail() {
    local file=$1
    if [ -s "$file" ]; then
        say "last lines of $file:"
        awk '/^=== / {n = 0} {line[++n] = $0} END {for (i = (n > 25 ? n - 24 : 1); i <= n; i++) print line[i]}' \
            "$file" | sed 's/^/    /' >&2
    else
        say "$file is empty or missing"
    fi
}

# ---------------------------------------------------------------------------------------------- names

host_ns() { echo "$NS_PREFIX$1"; }
host_veth() { echo "$VETH_PREFIX$1"; }
host_addr() { echo "$UL_NET.$((10 + $1))"; }
host_dir() { echo "$ROOT/h$1"; }
host_sock() { echo "$ROOT/h$1/kiln.sock"; }
etcd_client_url() { echo "https://$UL_ADDR:$((ETCD_CLIENT_BASE + $1))"; }
etcd_peer_url() { echo "https://$UL_ADDR:$((ETCD_PEER_BASE + $1))"; }
# the authority and certificates of the etcd cluster ('kiln etcd-certs'): members and daemons show them
pki() { echo "$ROOT/etcd-pki/$1"; }

# etcd_endpoints M: the client URLs of members 1..M, comma-separated
etcd_endpoints() {
    local j urls=()
    for ((j = 1; j <= $1; j++)); do urls+=("$(etcd_client_url "$j")"); done
    local IFS=,
    echo "${urls[*]}"
}

# parse_host ARG: prints I for 'hI' or 'I'
parse_host() {
    local arg=$1
    [[ $arg =~ ^h?([1-9][0-9]*)$ ]] || usage_error "not a host: '$arg' (expected hI, e.g. h1)"
    echo "${BASH_REMATCH[1]}"
}

# ---------------------------------------------------------------------------------------------- processes

# alive PID: the process exists and is not a zombie
alive() {
    local state
    state="$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" || return 1
    [ -n "$state" ] && [ "$state" != Z ]
}

# cmdline PID: the process's command line, its arguments joined by (and ended with) a space
cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }

# pids_with MARKER [ARGV0_GLOB]: live processes whose command line contains MARKER (a fixed string) and whose
# first argument's base name matches ARGV0_GLOB (default: any)
pids_with() {
    local marker=$1 glob=${2:-*} dir pid cmd argv0
    for dir in /proc/[0-9]*; do
        pid=${dir#/proc/}
        if [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ]; then continue; fi
        cmd="$(cmdline "$pid")" || continue
        [[ $cmd == *"$marker"* ]] || continue
        argv0=${cmd%% *}
        # shellcheck disable=SC2053 # the glob is meant to match
        [[ ${argv0##*/} == $glob ]] || continue
        if alive "$pid"; then echo "$pid"; fi
    done
    return 0
}

# The markers that find our processes (the trailing space keeps h1 from matching h10).
daemon_marker() { echo "--state-dir $(host_dir "$1") "; }
etcd_marker() { echo "--data-dir $ROOT/etcd$1 "; }
# daemon_pids I: host I's daemon, found by its command line, or by its pid file when that process runs in the
# host's namespace (it may have exec'd something else)
daemon_pids() {
    local i=$1 pid
    {
        pids_with "$(daemon_marker "$i")"
        pid="$(cat "$(host_dir "$i")/daemon.pid" 2>/dev/null)" || true
        if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" \
            && [ "$(ip netns identify "$pid" 2>/dev/null)" = "$(host_ns "$i")" ]; then
            echo "$pid"
        fi
    } | sort -un
}
etcd_pids() { pids_with "$(etcd_marker "$1")" etcd; }
qemu_pids() { pids_with "$1" 'qemu-system*'; }
# our_pids: every daemon, VMM and etcd member of ours that runs
our_pids() {
    pids_with "--state-dir $ROOT/h"
    qemu_pids "$ROOT/"
    pids_with "--data-dir $ROOT/etcd" etcd
}

# signal SIG PID...: signals each process and, when it leads a process group (our daemons do), its group
signal() {
    local sig=$1 pid
    shift
    for pid in "$@"; do
        kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" 2>/dev/null || true
    done
}

# stop WHAT PID...: SIGTERM, wait up to STOP_WAIT s for all of them, then SIGKILL the rest and wait for them
STOPPED=()
stop() {
    local what=$1 pid left deadline
    shift
    [ $# -gt 0 ] || return 0
    STOPPED+=("$@")
    say "stopping $what (pid $*)"
    signal TERM "$@"
    deadline=$((SECONDS + STOP_WAIT))
    while :; do
        left=()
        for pid in "$@"; do
            if alive "$pid"; then left+=("$pid"); fi
        done
        [ ${#left[@]} -eq 0 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then break; fi
        sleep 0.1
    done
    say "$what still running after ${STOP_WAIT} s: SIGKILL to pid ${left[*]}"
    signal KILL "${left[@]}"
    wait_gone "${left[@]}"
}

# wait_reaped PID...: waits up to 3 s until ended processes are reaped too (the init of some machines is slow to),
# so that no zombie shows in ps or pgrep after 'down'
wait_reaped() {
    local pid deadline=$((SECONDS + 3))
    for pid in "$@"; do
        while [ -e "/proc/$pid" ] && ! alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    done
}

# wait_gone PID...: waits up to 5 s for the processes to end
wait_gone() {
    local pid deadline=$((SECONDS + 5))
    for pid in "$@"; do
        while alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    done
}

# spawn LOG PIDFILE CMD...: starts CMD in a session of its own, detached from this script (it outlives it), with
# standard output and error appended to LOG; the pid that CMD finally runs as is written to PIDFILE.
spawn() {
    local log=$1 pidfile=$2
    shift 2
    if [ "$DRY_RUN" = 1 ]; then
        printf 'setsid %s >>%q 2>&1 &  # pid to %q\n' "$(quoted "$@")" "$log" "$pidfile"
        return 0
    fi
    rm -f "$pidfile"
    # shellcheck disable=SC2016 # $$ and $0 belong to the inner shell
    setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
    local deadline=$((SECONDS + 5))
    until [ -s "$pidfile" ]; do
        [ "$SECONDS" -lt "$deadline" ] || { say "no pid file $pidfile after 5 s"; return 1; }
        sleep 0.05
    done
}

# ---------------------------------------------------------------------------------------------- links

# ns_list: our namespaces (kiln-h<digits>), one a line
ns_list() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${NS_PREFIX}[0-9]+\$" || true
}
ns_exists() { [ -e "/run/netns/$1" ] || ns_list | grep -qx "$1"; }

link_exists() { [ -e "/sys/class/net/$1" ]; }
link_alias() { cat "/sys/class/net/$1/ifalias" 2>/dev/null || true; }
ours() { link_exists "$1" && [ "$(link_alias "$1")" = "$ALIAS" ]; }

# veth_list: root-namespace links kul-h<digits>, one a line
veth_list() {
    local path name
    for path in /sys/class/net/"$VETH_PREFIX"*; do
        name=${path##*/}
        if [[ $name =~ ^${VETH_PREFIX}[0-9]+$ ]]; then echo "$name"; fi
    done
    return 0
}

# ns_kiln_links NS: links in NS whose alias starts with 'kiln:' (taps, ifbs, bridge, VXLAN), one a line
ns_kiln_links() {
    ip -n "$1" -o link show 2>/dev/null \
        | awk -F': ' '/\\ +alias kiln:/ {split($2, n, "@"); print n[1]}' || true
}

# link_state NAME: up, down (administratively), no-carrier, or absent
link_state() {
    local name=$1 flags
    link_exists "$name" || { echo absent; return 0; }
    flags="$(ip -o link show dev "$name" 2>/dev/null | sed -n 's/^[0-9]*: [^:]*: <\([^>]*\)>.*/\1/p')"
    if [[ ,$flags, != *,UP,* ]]; then echo down
    elif [[ ,$flags, == *,NO-CARRIER,* ]]; then echo no-carrier
    else echo up
    fi
}

# ---------------------------------------------------------------------------------------------- hosts.env

# load_env: reads $ROOT/hosts.env into HOSTS, ETCD_MEMBERS, ETCD, DAEMONS; fails when there is none
HOSTS=0 ETCD_MEMBERS=0 ETCD="" DAEMONS=0
load_env() {
    local env="$ROOT/hosts.env"
    [ -f "$env" ] || die "no test hosts ($env missing): run '$prog up N' first"
    # shellcheck source=/dev/null
    . "$env"
    HOSTS=$KILN_TEST_HOSTS ETCD_MEMBERS=$KILN_TEST_ETCD_MEMBERS ETCD=$KILN_TEST_ETCD DAEMONS=$KILN_TEST_DAEMONS
}

# require_host I: host I exists (in hosts.env and as a namespace)
require_host() {
    local i=$1
    load_env
    [ "$i" -le "$HOSTS" ] || die "no host h$i: there are $HOSTS (h1..h$HOSTS)"
    ns_exists "$(host_ns "$i")" || die "the namespace $(host_ns "$i") of h$i is gone: run '$prog down', then 'up'"
}

write_env() {
    local n=$1 m=$2 daemons=$3 i
    {
        echo "# written by scripts/test-hosts.sh up; removed by 'test-hosts.sh down'"
        printf 'KILN_TEST_ROOT=%q\n' "$ROOT"
        echo "KILN_TEST_HOSTS=$n"
        echo "KILN_TEST_ETCD=$(etcd_endpoints "$m")"
        printf 'KILN_TEST_ETCD_CACERT=%q\n' "$(pki ca.crt)"
        printf 'KILN_TEST_ETCD_CERT=%q\n' "$(pki client.crt)"
        printf 'KILN_TEST_ETCD_KEY=%q\n' "$(pki client.key)"
        echo "KILN_TEST_ETCD_MEMBERS=$m"
        echo "KILN_TEST_DAEMONS=$daemons"
        for ((i = 1; i <= n; i++)); do
            echo "KILN_TEST_HOST_${i}_ADDR=$(host_addr "$i")"
            printf 'KILN_TEST_HOST_%d_SOCKET=%q\n' "$i" "$(host_sock "$i")"
            echo "KILN_TEST_HOST_${i}_NETNS=$(host_ns "$i")"
            printf 'KILN_TEST_HOST_%d_STATE_DIR=%q\n' "$i" "$(host_dir "$i")"
        done
    }
}

# ---------------------------------------------------------------------------------------------- etcd

# etcd_cmd J M STATE: the command line of etcd member J of M (STATE: new or existing)
etcd_cmd() {
    local j=$1 m=$2 state=$3 k cluster=()
    for ((k = 1; k <= m; k++)); do cluster+=("kiln-etcd$k=$(etcd_peer_url "$k")"); done
    local IFS=,
    ETCD_CMD=(etcd --name "kiln-etcd$j" --data-dir "$ROOT/etcd$j"
        --listen-client-urls "$(etcd_client_url "$j")" --advertise-client-urls "$(etcd_client_url "$j")"
        --listen-peer-urls "$(etcd_peer_url "$j")" --initial-advertise-peer-urls "$(etcd_peer_url "$j")"
        --initial-cluster "${cluster[*]}" --initial-cluster-token kiln-testhosts
        --initial-cluster-state "$state"
        --cert-file "$(pki member.crt)" --key-file "$(pki member.key)" --trusted-ca-file "$(pki ca.crt)"
        --client-cert-auth --peer-cert-file "$(pki member.crt)" --peer-key-file "$(pki member.key)"
        --peer-trusted-ca-file "$(pki ca.crt)" --peer-client-cert-auth
        --heartbeat-interval 100 --election-timeout 1000
        --logger zap --log-outputs stderr)
}

start_etcd() {
    local j=$1 m=$2 state=$3
    etcd_cmd "$j" "$m" "$state"
    [ "$DRY_RUN" = 1 ] || printf '=== %s: %s\n' "$(date -Is)" "$(quoted "${ETCD_CMD[@]}")" >>"$ROOT/etcd$j.log"
    spawn "$ROOT/etcd$j.log" "$ROOT/etcd$j.pid" "${ETCD_CMD[@]}"
}

etcdctl_q() {
    ETCDCTL_API=3 etcdctl --dial-timeout 1s --command-timeout 2s --cacert "$(pki ca.crt)" --cert "$(pki client.crt)" \
        --key "$(pki client.key)" "$@" >/dev/null 2>&1
}

# make_pki: the etcd cluster's authority and certificates, for the underlay address (kiln must be built)
make_pki() {
    if [ "$DRY_RUN" = 1 ]; then run "$KILN_LAUNCHER" etcd-certs --dir "$ROOT/etcd-pki" --name "$UL_ADDR"; return 0; fi
    "$KILN_LAUNCHER" etcd-certs --dir "$ROOT/etcd-pki" --name "$UL_ADDR" >>"$ROOT/build.log" 2>&1 || {
        say "'kiln etcd-certs' failed"
        log_tail "$ROOT/build.log"
        return 1
    }
}

# wait_etcd M [J]: waits until members 1..M are healthy (or, given J, until member J answers and the cluster is
# healthy, or just answers when fewer than a quorum of members run); fails early when a member started here dies
wait_etcd() {
    local m=$1 only=${2:-} j deadline=$((SECONDS + ETCD_WAIT)) running quorum
    [ "$DRY_RUN" = 1 ] && { echo "# wait until etcd is healthy: etcdctl --endpoints $(etcd_endpoints "$m") endpoint health"; return 0; }
    quorum=$((m / 2 + 1))
    while :; do
        running=0
        for ((j = 1; j <= m; j++)); do
            if [ -n "$(etcd_pids "$j")" ]; then
                running=$((running + 1))
            elif [ -z "$only" ] || [ "$only" = "$j" ]; then
                say "etcd member $j (kiln-etcd$j) exited"
                log_tail "$ROOT/etcd$j.log"
                return 1
            fi
        done
        if [ -z "$only" ]; then
            etcdctl_q --endpoints "$(etcd_endpoints "$m")" endpoint health && return 0
        elif etcdctl_q --endpoints "$(etcd_client_url "$only")" endpoint health; then
            return 0
        elif [ "$running" -lt "$quorum" ] && etcdctl_q --endpoints "$(etcd_client_url "$only")" endpoint status; then
            say "etcd member $only runs, but only $running of $m members do (a quorum is $quorum): not healthy yet"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            say "etcd is not healthy after ${ETCD_WAIT} s"
            for ((j = 1; j <= m; j++)); do
                [ -z "$only" ] || [ "$only" = "$j" ] || continue
                log_tail "$ROOT/etcd$j.log"
            done
            return 1
        fi
        sleep 0.2
    done
}

# ---------------------------------------------------------------------------------------------- daemons

# daemon_cmd I ETCD: the command line of host I's daemon, in its namespace
daemon_cmd() {
    local i=$1 join=$2
    local no_kernel=()
    if [[ " $NO_KERNEL " == *" $i "* ]]; then
        # shellcheck disable=SC2016 # "$@" belongs to the inner shell
        no_kernel=(unshare --mount --propagation private sh -c
            'mount -t tmpfs -o size=64k,mode=0755 kiln-no-kernel /boot && exec "$@"' sh)
    fi
    DAEMON_CMD=(env KILN_SKIP_SETUP=1 ip netns exec "$(host_ns "$i")" "${no_kernel[@]}"
        "$KILN_LAUNCHER" --state-dir "$(host_dir "$i")" --socket "$(host_sock "$i")"
        daemon --bridge kiln0 --subnet "10.90.$i.0/24" --cluster-cidr 10.90.0.0/16 --join "$join"
        --etcd-cacert "$(pki ca.crt)" --etcd-cert "$(pki client.crt)" --etcd-key "$(pki client.key)"
        --host-name "h$i" --advertise "$(host_addr "$i")" --api-host 0.0.0.0 --image-cache "$(host_cache "$i")")
    if [ -n "${TEST_HOSTS_DAEMON_ARGS:-}" ]; then
        local extra
        read -r -a extra <<<"$TEST_HOSTS_DAEMON_ARGS"
        DAEMON_CMD+=("${extra[@]}")
    fi
}

# build_kiln: runs 'kiln --version' once, so that a stale jar is built now and not by each daemon
build_kiln() {
    [ -x "$KILN_LAUNCHER" ] || die "no kiln launcher at $KILN_LAUNCHER"
    say "building kiln if it is stale ($KILN_LAUNCHER --version) ..."
    if [ "$DRY_RUN" = 1 ]; then run "$KILN_LAUNCHER" --version; return 0; fi
    mkdir -p "$ROOT"
    if ! "$KILN_LAUNCHER" --version >"$ROOT/build.log" 2>&1; then
        say "'$KILN_LAUNCHER --version' failed"
        log_tail "$ROOT/build.log"
        return 1
    fi
}

# host_cache I: the guest image cache of host I's daemon
host_cache() {
    if [ "$OWN_CACHES" = 1 ] && [ "$1" != 1 ]; then echo "$(host_dir "$1")/cache"; else echo "$IMAGE_CACHE"; fi
}

JOIN_LOG_OFFSET=0
start_daemon() {
    local i=$1 join=$2 dir log cache
    dir="$(host_dir "$i")"
    log="$dir/daemon.log"
    cache="$(host_cache "$i")"
    daemon_cmd "$i" "$join"
    run mkdir -p "$dir" "$ROOT/cache" "$cache"
    if [ "$cache" != "$IMAGE_CACHE" ] && [ -f "$IMAGE_CACHE/accelerator.json" ] && [ ! -e "$cache/accelerator.json" ]; then
        run cp "$IMAGE_CACHE/accelerator.json" "$cache/"
    fi
    JOIN_LOG_OFFSET=0
    [ ! -f "$log" ] || JOIN_LOG_OFFSET=$(stat -c %s "$log")
    [ "$DRY_RUN" = 1 ] || printf '=== %s: %s\n' "$(date -Is)" "$(quoted "${DAEMON_CMD[@]}")" >>"$log"
    spawn "$log" "$dir/daemon.pid" "${DAEMON_CMD[@]}"
}

# wait_daemon I: waits until host I's daemon answers GET /v1/health and has joined the cluster (its log says so
# after the offset start_daemon noted), at most TIMEOUT s; fails early if it exits
wait_daemon() {
    local i=$1 sock log start=$SECONDS next=$((SECONDS + 10)) pid
    sock="$(host_sock "$i")"
    log="$(host_dir "$i")/daemon.log"
    if [ "$DRY_RUN" = 1 ]; then
        echo "# wait until it answers: curl --unix-socket $sock http://kiln/v1/health (at most ${TIMEOUT} s)"
        return 0
    fi
    pid="$(cat "$(host_dir "$i")/daemon.pid")"
    say "h$i: waiting for the daemon (pid $pid) to answer on $sock (at most ${TIMEOUT} s) ..."
    while :; do
        if [ -S "$sock" ] && curl -sf --max-time 2 --unix-socket "$sock" http://kiln/v1/health >/dev/null 2>&1 \
            && tail -c +$((JOIN_LOG_OFFSET + 1)) "$log" | grep -q "joined the cluster as host"; then
            say "h$i: the daemon answers and has joined ($((SECONDS - start)) s)"
            return 0
        fi
        if ! alive "$pid"; then
            say "h$i: the daemon (pid $pid) exited before its API answered"
            log_tail "$log"
            return 1
        fi
        if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
            say "h$i: the daemon did not answer on $sock within ${TIMEOUT} s"
            log_tail "$log"
            return 1
        fi
        if [ "$SECONDS" -ge "$next" ]; then
            say "h$i: still waiting ($((SECONDS - start)) s of ${TIMEOUT} s)"
            next=$((SECONDS + 10))
        fi
        sleep 0.5
    done
}

# ---------------------------------------------------------------------------------------------- up

# existing: what of ours exists already, one thing a line
existing() {
    local ns link
    if link_exists "$UL_BRIDGE"; then echo "link $UL_BRIDGE"; fi
    for ns in $(ns_list); do echo "namespace $ns"; done
    for link in $(veth_list); do echo "link $link"; done
    if [ -d "$ROOT" ] && [ -n "$(ls -A "$ROOT")" ]; then
        if [ -e "$ROOT/$MARKER_FILE" ]; then
            echo "directory $ROOT"
        else
            echo "directory $ROOT, not made by '$prog up' ('down' keeps it: remove it, or set TEST_HOSTS_ROOT)"
        fi
    fi
    ip -o -4 addr show to "$UL_NET.0/24" 2>/dev/null | awk '{print "address " $4 " on " $2}'
    [ -z "$(our_pids)" ] || echo "processes: $(our_pids | tr '\n' ' ')"
    return 0
}

UP_STEP="" UP_SIGNAL=""
up_failed() {
    local rc=$?
    trap - EXIT INT TERM
    [ "$rc" -ne 0 ] || return 0
    set +e
    if [ -n "$UP_SIGNAL" ]; then
        say "error: up was interrupted ($UP_SIGNAL) while $UP_STEP; removing what it created"
    else
        say "error: up failed while $UP_STEP; removing what it created"
    fi
    do_down
    exit "$rc"
}

cmd_up() {
    local n="" m=3 daemons=1 arg i j
    while [ $# -gt 0 ]; do
        arg=$1
        shift
        case $arg in
            --no-daemons) daemons=0 ;;
            --etcd-members) [ $# -gt 0 ] || usage_error "--etcd-members needs a number"; m=$1; shift ;;
            --etcd-members=*) m=${arg#*=} ;;
            --dry-run) DRY_RUN=1 ;;
            -h | --help) usage; exit 0 ;;
            -*) usage_error "up: unknown option '$arg'" ;;
            *) [ -z "$n" ] || usage_error "up: one N only"; n=$arg ;;
        esac
    done
    if ! [[ $n =~ ^[1-9][0-9]*$ ]] || [ "$n" -gt "$MAX_HOSTS" ]; then
        usage_error "up: N must be 1 to $MAX_HOSTS, not '$n'"
    fi
    [[ $m =~ ^[1-9]$ ]] || usage_error "--etcd-members must be 1 to $MAX_ETCD, not '$m'"
    [[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TEST_HOSTS_TIMEOUT must be a number of seconds, not '$TIMEOUT'"
    require_tools

    local found
    found="$(existing)"
    if [ -n "$found" ]; then
        say "error: test hosts (or their leftovers) exist already:"
        printf '    %s\n' "${found//$'\n'/$'\n'    }" >&2
        die "run '$prog down' first"
    fi
    [ "$daemons" = 0 ] || [ -x "$KILN_LAUNCHER" ] || die "no kiln launcher at $KILN_LAUNCHER"

    [ "$DRY_RUN" = 1 ] || trap up_failed EXIT
    trap 'UP_SIGNAL=SIGINT; exit 130' INT
    trap 'UP_SIGNAL=SIGTERM; exit 143' TERM

    UP_STEP="creating $ROOT"
    run mkdir -p "$ROOT"
    run touch "$ROOT/$MARKER_FILE"

    UP_STEP="creating the underlay bridge $UL_BRIDGE"
    say "underlay: $UL_BRIDGE $UL_ADDR/24, MTU $MTU"
    run ip link add "$UL_BRIDGE" type bridge
    run ip link set "$UL_BRIDGE" alias "$ALIAS" mtu "$MTU"
    run ip addr add "$UL_ADDR/24" dev "$UL_BRIDGE"
    run ip link set "$UL_BRIDGE" up

    local ns veth addr
    for ((i = 1; i <= n; i++)); do
        ns="$(host_ns "$i")" veth="$(host_veth "$i")" addr="$(host_addr "$i")"
        UP_STEP="creating host h$i (namespace $ns, veth $veth)"
        say "h$i: namespace $ns, $veth <-> eth0 $addr/24"
        run ip netns add "$ns"
        run ip -n "$ns" link set lo up
        run ip link add "$veth" mtu "$MTU" type veth peer name eth0 mtu "$MTU" netns "$ns"
        run ip link set "$veth" alias "$ALIAS" master "$UL_BRIDGE" up
        run ip -n "$ns" addr add "$addr/24" dev eth0
        run ip -n "$ns" link set eth0 up
        run ip -n "$ns" route add default via "$UL_ADDR"
        run ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
    done

    UP_STEP="building kiln"
    build_kiln
    UP_STEP="making etcd's certificates"
    make_pki
    say "etcd: $m member$([ "$m" = 1 ] || echo s), $(etcd_endpoints "$m") (TLS, client certificates of $ROOT/etcd-pki)"
    for ((j = 1; j <= m; j++)); do
        UP_STEP="starting etcd member $j"
        start_etcd "$j" "$m" new
    done
    UP_STEP="waiting for etcd to become healthy"
    wait_etcd "$m"

    UP_STEP="writing $ROOT/hosts.env"
    if [ "$DRY_RUN" = 1 ]; then
        echo "# write $ROOT/hosts.env"
    else
        write_env "$n" "$m" "$daemons" >"$ROOT/hosts.env"
    fi

    if [ "$daemons" = 1 ]; then
        for ((i = 1; i <= n; i++)); do
            UP_STEP="starting the daemon of h$i"
            say "h$i: starting the daemon (log $(host_dir "$i")/daemon.log)"
            start_daemon "$i" "$(etcd_endpoints "$m")"
            UP_STEP="waiting for the daemon of h$i"
            wait_daemon "$i"
        done
    fi

    trap - EXIT INT TERM
    [ "$DRY_RUN" = 1 ] && return 0
    say "up: $n hosts ready (facts in $ROOT/hosts.env)"
    cat "$ROOT/hosts.env"
}

# ---------------------------------------------------------------------------------------------- down

# do_down: removes everything of ours; silent when there is nothing; fails, naming what is left, if anything is
do_down() {
    local pids ns link dir left=()

    # the daemons (found by their --state-dir or pid file), then the VMMs they started, then etcd
    mapfile -t pids < <(
        pids_with "--state-dir $ROOT/h"
        for dir in "$ROOT"/h*/; do
            if [[ $dir =~ /h([0-9]+)/$ ]]; then daemon_pids "${BASH_REMATCH[1]}"; fi
        done | sort -un
    )
    stop "the daemons" "${pids[@]}"
    mapfile -t pids < <(qemu_pids "$ROOT/")
    stop "the QEMU processes under $ROOT" "${pids[@]}"
    # etcd one member at a time: stopped together, the leader's attempt to hand over leadership delays it by seconds
    local pid
    for pid in $(pids_with "--data-dir $ROOT/etcd" etcd); do
        stop "etcd $(cmdline "$pid" | sed -n 's/.*--name \([^ ]*\).*/\1/p')" "$pid"
    done

    for ns in $(ns_list); do
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null)
        stop "what still runs in $ns" "${pids[@]}"
        for link in $(ns_kiln_links "$ns"); do
            ip -n "$ns" link del "$link" 2>/dev/null || true
        done
        say "deleting the namespace $ns"
        ip netns del "$ns" 2>/dev/null || true
    done

    # the veths usually went with their namespaces (their deletion is asynchronous); then the bridge
    for link in $(veth_list); do
        if ours "$link"; then ip link del "$link" 2>/dev/null || true; fi
    done
    if ours "$UL_BRIDGE"; then
        say "deleting the underlay bridge $UL_BRIDGE"
        ip link del "$UL_BRIDGE" 2>/dev/null || true
    fi

    if [ -d "$ROOT" ]; then
        if [ -e "$ROOT/$MARKER_FILE" ] || [ -z "$(ls -A "$ROOT")" ]; then
            say "removing $ROOT"
            rm -rf --one-file-system "$ROOT"
        else
            say "not removing $ROOT: it was not made by '$prog up' (no $MARKER_FILE in it)"
        fi
    fi

    # check: nothing of ours is left (veths of deleted namespaces may take a moment to go)
    if [ ${#STOPPED[@]} -gt 0 ]; then wait_reaped "${STOPPED[@]}"; fi
    local deadline=$((SECONDS + 5))
    while :; do
        left=()
        for ns in $(ns_list); do left+=("namespace $ns"); done
        for link in $(veth_list); do
            if ours "$link"; then left+=("link $link"); fi
        done
        if ours "$UL_BRIDGE"; then left+=("link $UL_BRIDGE"); fi
        [ -z "$(our_pids)" ] || left+=("processes: $(our_pids | tr '\n' ' ')")
        [ ! -e "$ROOT/$MARKER_FILE" ] || left+=("directory $ROOT")
        if [ ${#left[@]} -eq 0 ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
        sleep 0.1
    done
    if [ ${#left[@]} -gt 0 ]; then
        say "error: could not remove: ${left[*]}"
        return 1
    fi
}

cmd_down() {
    [ $# -eq 0 ] || usage_error "down takes no arguments"
    do_down
}

# ---------------------------------------------------------------------------------------------- status

json_str() {
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

cmd_status() {
    local json=0 arg
    for arg in "$@"; do
        case $arg in
            --json) json=1 ;;
            *) usage_error "status: unknown argument '$arg'" ;;
        esac
    done
    local have_env=0
    if [ -f "$ROOT/hosts.env" ]; then
        load_env
        have_env=1
    else
        # nothing written (or no 'up' yet): show what namespaces exist, and no etcd
        local ns max=0 k
        for ns in $(ns_list); do
            k=${ns#"$NS_PREFIX"}
            if [ "$k" -gt "$max" ]; then max=$k; fi
        done
        HOSTS=$max
        ETCD_MEMBERS=0
    fi

    local i j ns addr veth lstate pid answers running healthy sock ul_state
    ul_state="$(link_state "$UL_BRIDGE")"
    if [ "$json" = 1 ]; then
        printf '{"root":%s,"hostsEnv":%s,"daemonsByUp":%s,' "$(json_str "$ROOT")" \
            "$([ "$have_env" = 1 ] && echo true || echo false)" "$([ "$DAEMONS" = 1 ] && echo true || echo false)"
        printf '"underlay":{"name":"%s","address":"%s/24","state":"%s"},' "$UL_BRIDGE" "$UL_ADDR" "$ul_state"
        printf '"etcd":['
    else
        if [ "$have_env" = 0 ] && [ "$HOSTS" = 0 ] && [ "$ul_state" = absent ]; then
            echo "no test hosts (run '$prog up N')"
            return 0
        fi
        echo "root      $ROOT"
        echo "underlay  $UL_BRIDGE $UL_ADDR/24 $ul_state"
        if [ "$have_env" = 1 ]; then
            echo "etcd      $ETCD"
            [ "$DAEMONS" = 1 ] || echo "daemons   not started by 'up' (--no-daemons)"
        fi
        [ "$ETCD_MEMBERS" = 0 ] || printf '%-6s %-11s %-26s %-8s %-8s %s\n' MEMBER NAME CLIENT-URL PID RUNNING HEALTHY
    fi
    for ((j = 1; j <= ETCD_MEMBERS; j++)); do
        pid="$(etcd_pids "$j" | head -n1)"
        running=false healthy=false
        if [ -n "$pid" ]; then
            running=true
            if etcdctl_q --endpoints "$(etcd_client_url "$j")" endpoint health; then healthy=true; fi
        fi
        if [ "$json" = 1 ]; then
            [ "$j" = 1 ] || printf ','
            printf '{"member":%d,"name":"kiln-etcd%d","clientUrl":"%s","pid":%s,"running":%s,"healthy":%s}' \
                "$j" "$j" "$(etcd_client_url "$j")" "${pid:-null}" "$running" "$healthy"
        else
            printf '%-6s %-11s %-26s %-8s %-8s %s\n' "$j" "kiln-etcd$j" "$(etcd_client_url "$j")" "${pid:--}" \
                "$running" "$healthy"
        fi
    done
    if [ "$json" = 1 ]; then
        printf '],"hosts":['
    else
        printf '%-5s %-9s %-8s %-13s %-11s %-8s %s\n' HOST NETNS EXISTS ADDRESS LINK DAEMON ANSWERS
    fi
    for ((i = 1; i <= HOSTS; i++)); do
        ns="$(host_ns "$i")" addr="$(host_addr "$i")" veth="$(host_veth "$i")" sock="$(host_sock "$i")"
        lstate="$(link_state "$veth")"
        pid="$(daemon_pids "$i" | head -n1)"
        answers=false
        if [ -n "$pid" ] && curl -sf --max-time 2 --unix-socket "$sock" http://kiln/v1/health >/dev/null 2>&1; then
            answers=true
        fi
        local exists=false
        if ns_exists "$ns"; then exists=true; fi
        if [ "$json" = 1 ]; then
            [ "$i" = 1 ] || printf ','
            printf '{"host":"h%d","netns":"%s","exists":%s,"address":"%s","link":"%s","linkState":"%s",' \
                "$i" "$ns" "$exists" "$addr" "$veth" "$lstate"
            printf '"socket":%s,"daemonPid":%s,"daemonRunning":%s,"daemonAnswers":%s}' \
                "$(json_str "$sock")" "${pid:-null}" "$([ -n "$pid" ] && echo true || echo false)" "$answers"
        else
            printf '%-5s %-9s %-8s %-13s %-11s %-8s %s\n' "h$i" "$ns" "$exists" "$addr" "$veth:$lstate" \
                "${pid:--}" "$answers"
        fi
    done
    if [ "$json" = 1 ]; then printf ']}\n'; fi
}

# ---------------------------------------------------------------------------------------------- one host or member

cmd_kill() {
    [ $# -eq 1 ] || usage_error "usage: $prog kill hI"
    local i pids
    i="$(parse_host "$1")"
    require_host "$i"
    mapfile -t pids < <(daemon_pids "$i"; qemu_pids "$(host_dir "$i")/")
    if [ ${#pids[@]} -eq 0 ]; then
        say "h$i: no daemon or QEMU process runs"
        return 0
    fi
    say "h$i: kill -9 of the daemon and its VMMs (pid ${pids[*]})"
    signal KILL "${pids[@]}"
    wait_gone "${pids[@]}"
}

cmd_start() {
    local i="" arg
    for arg in "$@"; do
        case $arg in
            --dry-run) DRY_RUN=1 ;;
            -*) usage_error "start: unknown option '$arg'" ;;
            *) [ -z "$i" ] || usage_error "usage: $prog start hI"; i="$(parse_host "$arg")" ;;
        esac
    done
    [ -n "$i" ] || usage_error "usage: $prog start hI"
    require_host "$i"
    [ -z "$(daemon_pids "$i")" ] || die "the daemon of h$i runs already (pid $(daemon_pids "$i" | tr '\n' ' '))"
    build_kiln
    say "h$i: starting the daemon (log $(host_dir "$i")/daemon.log)"
    start_daemon "$i" "$ETCD"
    if ! wait_daemon "$i"; then
        local pids
        mapfile -t pids < <(daemon_pids "$i")
        stop "the daemon of h$i" "${pids[@]}"
        die "the daemon of h$i did not start"
    fi
}

# set_link hI up|down
set_link() {
    local i veth
    i="$(parse_host "$1")"
    require_host "$i"
    veth="$(host_veth "$i")"
    ours "$veth" || die "no link $veth labelled $ALIAS"
    ip link set "$veth" "$2"
    say "h$i: underlay link $veth $2"
}

parse_member() {
    [[ $1 =~ ^[1-9]$ ]] || usage_error "not an etcd member: '$1' (expected 1 to $ETCD_MEMBERS)"
    [ "$1" -le "$ETCD_MEMBERS" ] || die "no etcd member $1: there are $ETCD_MEMBERS"
}

cmd_etcd_kill() {
    [ $# -eq 1 ] || usage_error "usage: $prog etcd-kill J"
    load_env
    parse_member "$1"
    local pids
    mapfile -t pids < <(etcd_pids "$1")
    if [ ${#pids[@]} -eq 0 ]; then
        say "etcd member $1 does not run"
        return 0
    fi
    say "kill -9 of etcd member $1 (pid ${pids[*]})"
    signal KILL "${pids[@]}"
    wait_gone "${pids[@]}"

    # A write in flight to a dead leader times out (after 7 s with these settings) even once the others have elected
    # a new one, so wait for that election: after this command returns, writes work whenever a quorum is left.
    local j up=() quorum=$((ETCD_MEMBERS / 2 + 1)) start=$SECONDS
    for ((j = 1; j <= ETCD_MEMBERS; j++)); do
        if [ -n "$(etcd_pids "$j")" ]; then up+=("$(etcd_client_url "$j")"); fi
    done
    if [ ${#up[@]} -lt "$quorum" ]; then
        say "${#up[@]} of $ETCD_MEMBERS members run: no quorum ($quorum), so writes fail until one is started again"
        return 0
    fi
    local endpoints
    endpoints="$(IFS=,; echo "${up[*]}")"
    until etcdctl_q --endpoints "$endpoints" endpoint health; do
        if [ $((SECONDS - start)) -ge "$ETCD_WAIT" ]; then
            say "warning: the other members are not healthy after ${ETCD_WAIT} s"
            return 0
        fi
        sleep 0.1
    done
    say "the other ${#up[@]} members are healthy (they have a leader) after $((SECONDS - start)) s"
}

cmd_etcd_start() {
    [ $# -eq 1 ] || usage_error "usage: $prog etcd-start J"
    load_env
    parse_member "$1"
    [ -z "$(etcd_pids "$1")" ] || die "etcd member $1 runs already"
    say "starting etcd member $1 (existing cluster, data in $ROOT/etcd$1)"
    start_etcd "$1" "$ETCD_MEMBERS" existing
    wait_etcd "$ETCD_MEMBERS" "$1" || die "etcd member $1 did not start"
}

cmd_exec() {
    [ $# -ge 2 ] || usage_error "usage: $prog exec hI COMMAND [ARG...]"
    local i
    i="$(parse_host "$1")"
    shift
    require_host "$i"
    exec ip netns exec "$(host_ns "$i")" "$@"
}

# ---------------------------------------------------------------------------------------------- main

require_tools() {
    local tool missing=()
    for tool in ip etcd etcdctl curl setsid; do
        command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing commands: ${missing[*]} (Debian: apt-get install iproute2 etcd-server etcd-client curl util-linux)"
}

main() {
    [ $# -gt 0 ] || { usage >&2; exit 2; }
    case $1 in
        -h | --help | help) usage; exit 0 ;;
    esac
    [ "$(id -u)" = 0 ] || die "must run as root (it creates namespaces and links)"
    case $ROOT in
        /?*) ;;
        *) die "TEST_HOSTS_ROOT must be an absolute path other than /, not '$ROOT'" ;;
    esac
    local cmd=$1
    shift
    case $cmd in
        up) cmd_up "$@" ;;
        down) cmd_down "$@" ;;
        status) cmd_status "$@" ;;
        kill) cmd_kill "$@" ;;
        start) cmd_start "$@" ;;
        cut) [ $# -eq 1 ] || usage_error "usage: $prog cut hI"; set_link "$1" down ;;
        restore) [ $# -eq 1 ] || usage_error "usage: $prog restore hI"; set_link "$1" up ;;
        etcd-kill) cmd_etcd_kill "$@" ;;
        etcd-start) cmd_etcd_start "$@" ;;
        exec) cmd_exec "$@" ;;
        *) usage_error "unknown command '$cmd'" ;;
    esac
}

main "$@"
