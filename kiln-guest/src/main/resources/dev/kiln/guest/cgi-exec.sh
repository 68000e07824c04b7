#!/bin/sh
# POST /cgi-bin/exec?token=<token>: runs the request body with sh -c and replies with its combined
# stdout and stderr, then a last line KILN_EXIT=<code>. Without the right token nothing runs (403).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root

reply() { # status, text
    printf 'Status: %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s\n' \
        "$1" "$(( ${#2} + 1 ))" "$2"
    exit 0
}

want=$(cat /run/kiln/token 2>/dev/null)
got=
set -f
oldifs=$IFS
IFS='&'
for pair in $QUERY_STRING; do
    case "$pair" in
        token=*) got=${pair#token=} ;;
    esac
done
IFS=$oldifs
set +f
if [ -z "$want" ] || [ "$got" != "$want" ]; then
    reply "403 Forbidden" "forbidden"
fi
[ "$REQUEST_METHOD" = POST ] || reply "405 Method Not Allowed" "use POST"

work=$(mktemp -d /tmp/kiln-exec.XXXXXX) || reply "500 Internal Server Error" "cannot create a work directory"
head -c "${CONTENT_LENGTH:-0}" > "$work/command"
[ -s "$work/command" ] || { rm -rf "$work"; reply "400 Bad Request" "empty command"; }

( cd / && exec sh -c "$(cat "$work/command")" ) < /dev/null > "$work/output" 2>&1
code=$?
if [ -s "$work/output" ] && [ -n "$(tail -c 1 "$work/output")" ]; then
    echo >> "$work/output"
fi
echo "KILN_EXIT=$code" >> "$work/output"
printf 'Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' \
    "$(wc -c < "$work/output")"
cat "$work/output"
rm -rf "$work"
