#!/bin/sh
# Installs memdomain's libvirt hook as /etc/libvirt/hooks/qemu.d/memdomain,
# or removes it. libvirt (6.5 and later) runs every executable in
# hooks/qemu.d/ in turn, so a user's own /etc/libvirt/hooks/qemu, or other
# qemu.d hooks, are never touched. libvirt looks for hooks when it starts and
# on SIGHUP: this script sends libvirtd a SIGHUP when its pid file names a
# running libvirtd (--no-reload: don't).
#
#   install.sh [--hook BINARY] [--socket-dir DIR] [--root DIR] [--no-reload]
#   install.sh --uninstall [--root DIR] [--no-reload]
#
#   --hook BINARY     the hook to install (default: memdomain-libvirt-hook
#                     next to this script, else in the build tree, else
#                     /usr/local/libexec/memdomain or /usr/libexec/memdomain)
#   --socket-dir DIR  also write /etc/memdomain/hook.conf with
#                     socket_dir = DIR (an existing hook.conf is replaced only
#                     when it was written by this script)
#   --root DIR        install under DIR instead of / (packaging, tests)
#   --uninstall       remove the hook, and hook.conf when this script wrote it
set -eu

here=$(cd "$(dirname "$0")" && pwd)
hook=
socket_dir=
root=
uninstall=no
reload=yes
while [ $# -gt 0 ]; do
    case "$1" in
    --hook) hook=$2; shift 2 ;;
    --socket-dir) socket_dir=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    --uninstall) uninstall=yes; shift ;;
    --no-reload) reload=no; shift ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done

hooks_dir=$root/etc/libvirt/hooks/qemu.d
target=$hooks_dir/memdomain
conf=$root/etc/memdomain/hook.conf
marker="# written by memdomain's libvirt-hooks/install.sh"

reload_libvirtd() {
    [ "$reload" = yes ] && [ -z "$root" ] || return 0
    for pidfile in /run/libvirtd.pid /var/run/libvirtd.pid; do
        [ -r "$pidfile" ] || continue
        pid=$(cat "$pidfile")
        if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ]; then
            kill -HUP "$pid" && echo "install.sh: libvirtd ($pid) told to look for hooks again (SIGHUP)"
            return 0
        fi
    done
    echo "install.sh: libvirtd is not running here; it finds the hook when it starts"
}

if [ "$uninstall" = yes ]; then
    if [ -e "$target" ]; then
        rm -f "$target"
        echo "install.sh: removed $target"
    else
        echo "install.sh: $target was not installed"
    fi
    if [ -f "$conf" ] && head -n 1 "$conf" | grep -qF "$marker"; then
        rm -f "$conf"
        echo "install.sh: removed $conf"
    fi
    reload_libvirtd
    exit 0
fi

if [ -z "$hook" ]; then
    for cand in "$here/memdomain-libvirt-hook" "$here/../build/libvirt-hooks/memdomain-libvirt-hook" \
        /usr/local/libexec/memdomain/memdomain-libvirt-hook /usr/libexec/memdomain/memdomain-libvirt-hook; do
        if [ -x "$cand" ]; then hook=$cand; break; fi
    done
fi
if [ -z "$hook" ] || [ ! -x "$hook" ]; then
    echo "install.sh: no hook binary found (build the memdomain-libvirt-hook target, or give --hook BINARY)" >&2
    exit 1
fi
if [ -n "$socket_dir" ]; then
    case "$socket_dir" in
    /*) ;;
    *) echo "install.sh: --socket-dir needs an absolute directory" >&2; exit 2 ;;
    esac
    if [ -f "$conf" ] && ! head -n 1 "$conf" | grep -qF "$marker"; then
        echo "install.sh: $conf exists and was not written by install.sh; edit it yourself (socket_dir = $socket_dir)" >&2
        exit 1
    fi
fi

mkdir -p "$hooks_dir"
# Through a temporary name and a rename, so libvirt never runs half a file.
install -m 0755 "$hook" "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"
echo "install.sh: installed $target"
if [ -e "$root/etc/libvirt/hooks/qemu" ]; then
    echo "install.sh: your own $root/etc/libvirt/hooks/qemu is left as it is (libvirt runs both)"
fi
if [ -n "$socket_dir" ]; then
    mkdir -p "$(dirname "$conf")"
    printf '%s\n# The memdomain libvirt hook'"'"'s settings (libvirt-hooks/README.md).\nsocket_dir = %s\n' \
        "$marker" "$socket_dir" >"$conf"
    echo "install.sh: wrote $conf (socket_dir = $socket_dir)"
fi
reload_libvirtd
