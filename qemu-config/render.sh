#!/bin/sh
# Renders the QEMU attach examples in this folder from their templates (*.in).
# Placeholders and the values the shipped examples use:
#   @MEMDOMAIN_SOCKET@  the domain's socket, <socket dir>/<domain>.sock
#                       default /run/memdomain/MainMem.sock
#   @MEMDOMAIN_NS@      the domain's namespace entry (read-only VMs),
#                       <socket dir>/ns/<domain> (segment i>0: <domain>@<i>),
#                       a symlink memdomaind makes to its O_RDONLY descriptor
#                       of the segment; default /run/memdomain/ns/MainMem
#   @MEMDOMAIN_SIZE@    the segment size, as QEMU reads sizes (64M, 1G)
#                       default 64M
#
#   render.sh TEMPLATE [SOCKET=path] [NS=path] [SIZE=size]
#                    print TEMPLATE rendered; unnamed values take the defaults
#   render.sh --check
#                    verify every shipped example equals its template
#                    rendered with the defaults
#
# tests/qemu/qemu_config_examples_test.cpp checks this script and starts QEMU
# with every example rendered for a test server, so the examples cannot rot.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
SOCKET=/run/memdomain/MainMem.sock
NS=/run/memdomain/ns/MainMem
SIZE=64M

# Escapes a value for the replacement side of a sed s||| command.
esc() { printf '%s' "$1" | sed 's/[&\\|]/\\&/g'; }

render() {
    sed -e "s|@MEMDOMAIN_SOCKET@|$(esc "$SOCKET")|g" \
        -e "s|@MEMDOMAIN_NS@|$(esc "$NS")|g" \
        -e "s|@MEMDOMAIN_SIZE@|$(esc "$SIZE")|g" "$1"
}

if [ "${1:-}" = "--check" ]; then
    status=0
    for t in "$here"/*.in; do
        out=${t%.in}
        if ! render "$t" | cmp -s - "$out"; then
            echo "render.sh: $(basename "$out") differs from $(basename "$t") rendered with the defaults" >&2
            status=1
        fi
    done
    [ $status -eq 0 ] && echo "render.sh: all examples match their templates"
    exit $status
fi

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: render.sh TEMPLATE [SOCKET=path] [NS=path] [SIZE=size] | render.sh --check" >&2
    exit 2
fi
template=$1
shift
for kv in "$@"; do
    case $kv in
        SOCKET=*) SOCKET=${kv#SOCKET=} ;;
        NS=*) NS=${kv#NS=} ;;
        SIZE=*) SIZE=${kv#SIZE=} ;;
        *) echo "render.sh: unknown setting '$kv' (SOCKET=, NS= or SIZE=)" >&2; exit 2 ;;
    esac
done
# QEMU option values split at commas; a comma in a path must be doubled.
case "$SOCKET$NS" in *,*) echo "render.sh: warning: double every ',' in paths for QEMU" >&2 ;; esac
render "$template"
