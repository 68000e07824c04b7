#!/bin/sh
# GET /cgi-bin/health: who and how the guest is, as JSON. Needs no token.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
id=$(sed 's/[\\"]/\\&/g; s/[[:cntrl:]]//g' /run/kiln/id 2>/dev/null)
read -r uptime _ < /proc/uptime
kernel=$(uname -r)
mem=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
cpus=$(nproc)
body=$(printf '{"id":"%s","uptime":%s,"kernel":"%s","memTotalKb":%s,"cpus":%s}' \
    "$id" "${uptime:-0}" "$kernel" "${mem:-0}" "${cpus:-0}")
printf 'Content-Type: application/json\r\nContent-Length: %s\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n%s' \
    "$(printf '%s' "$body" | wc -c)" "$body"
