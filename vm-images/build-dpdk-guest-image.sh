#!/bin/sh
# Builds the DPDK test guest: the memdomain test guest (build-guest-image.sh,
# unchanged) plus a second initramfs archive with DPDK's runtime, on top.
#   OUTDIR/vmlinux            the same kernel
#   OUTDIR/initramfs.cpio.gz  the base archive and the DPDK archive,
#                             concatenated (the kernel unpacks both, in order)
#   OUTDIR/tools.list         the base tools plus dpdk-testpmd
#   OUTDIR/image.stamp        hash of every input; nothing is rebuilt while
#                             it matches
# The DPDK archive holds /usr/bin/dpdk-testpmd, net_memdomain installed in
# DPDK's plugin directory (so the EAL loads it with no -d), the two plugins
# testpmd needs here (bus_vdev, mempool_ring), every shared library those
# need (found with ldd, copied to the same paths), and the scenarios in
# vm-images/dpdk/scenarios.
#
# usage: build-dpdk-guest-image.sh OUTDIR PMD_SO LIB_SO... -- [STATIC_TOOL...]
#   PMD_SO   the built librte_net_memdomain.so
#   LIB_SO   libraries it links from the build tree (libmemdomain_dpdk.so,
#            libmemdomain.so): copied into /usr/lib/x86_64-linux-gnu
#   STATIC_TOOL  passed on to build-guest-image.sh for the base image
set -eu

here=$(cd "$(dirname "$0")" && pwd)
die() { echo "build-dpdk-guest-image: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 OUTDIR PMD_SO LIB_SO... -- [STATIC_TOOL...]"
outdir=$1
pmd=$2
shift 2
libs=
while [ $# -gt 0 ] && [ "$1" != "--" ]; do libs="$libs $1"; shift; done
[ $# -gt 0 ] && shift
tools="$*"

testpmd=/usr/bin/dpdk-testpmd
multiarch=x86_64-linux-gnu
pmddir_name=$(basename "$(ls -d /usr/lib/$multiarch/dpdk/pmds-* 2>/dev/null | head -n 1)")
[ -x "$testpmd" ] || die "no $testpmd (apt-get install dpdk-dev)"
[ -n "$pmddir_name" ] || die "no /usr/lib/$multiarch/dpdk/pmds-* (apt-get install dpdk)"
pmddir=/usr/lib/$multiarch/dpdk/$pmddir_name
plugins="$pmddir/librte_bus_vdev.so $pmddir/librte_mempool_ring.so"
for f in "$pmd" $libs $plugins; do [ -f "$f" ] || die "$f does not exist"; done

# --- the base image (cached by its own stamp) -------------------------------
"$here/build-guest-image.sh" "$outdir/base" $tools

# --- the shared-library closure (ldd resolves it as the guest will) ---------
closure() {
    for f in "$@"; do
        echo "$f"
        ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }'
    done | sort -u
}
# System files only: our own libraries are found through the build tree's
# RUNPATH on the host; in the guest they sit in the multiarch directory.
deps="$testpmd $(closure "$testpmd" "$pmd" $libs $plugins | grep -E '^/(usr/)?lib(64)?/')"

inputs="$here/build-dpdk-guest-image.sh $(find "$here/dpdk" -type f | sort) $outdir/base/image.stamp $pmd $libs $deps"
stamp=$( (echo "pmddir $pmddir_name"; sha256sum $inputs | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
if [ -f "$outdir/image.stamp" ] && [ "$(cat "$outdir/image.stamp")" = "$stamp" ] && [ -f "$outdir/initramfs.cpio.gz" ]; then
    echo "build-dpdk-guest-image: $outdir is up to date ($stamp)"
    exit 0
fi
rm -f "$outdir/image.stamp"

root=$(mktemp -d "$outdir/dpdk-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
copy_to() {  # copy_to FILE DEST_PATH: dereferenced, stripped of debug info
    mkdir -p "$root$(dirname "$2")"
    strip --strip-debug -o "$root$2" "$(readlink -f "$1")" 2>/dev/null || cp -L "$1" "$root$2"
}
# place PATH: the real file at its real path, and PATH as a symlink to it.
# One file, one inode, as on the host: the EAL loads every library in its
# plugin directory, and a second copy of one (under another name) that is
# also linked would register its driver twice (rte_panic).
place() {
    real=$(readlink -f "$1")
    [ -e "$root$real" ] || copy_to "$real" "$real"
    if [ "$real" != "$1" ] && [ ! -e "$root$1" ] && [ ! -L "$root$1" ]; then
        mkdir -p "$root$(dirname "$1")"
        ln -s "$real" "$root$1"
    fi
}
for d in $deps $plugins; do place "$d"; done
for l in $libs; do
    copy_to "$l" "/usr/lib/$multiarch/$(basename "$(readlink -f "$l")")"
    for n in "$(basename "$l")" "$(objdump -p "$l" | awk '/SONAME/ { print $2 }')"; do
        [ -z "$n" ] || [ -e "$root/usr/lib/$multiarch/$n" ] || ln -s "$(basename "$(readlink -f "$l")")" "$root/usr/lib/$multiarch/$n"
    done
done
copy_to "$pmd" "$pmddir/librte_net_memdomain.so"
mkdir -p "$root/scenarios" "$root/etc" "$root/var/run/dpdk"
cp "$here"/dpdk/scenarios/* "$root/scenarios/"
echo "/usr/lib/$multiarch" >"$root/etc/ld.so.conf"

(cd "$root" && find . | sort | cpio --quiet -o -H newc --owner 0:0) | gzip -6 >"$outdir/dpdk.cpio.gz"
cat "$outdir/base/initramfs.cpio.gz" "$outdir/dpdk.cpio.gz" >"$outdir/initramfs.cpio.gz.tmp"
mv "$outdir/initramfs.cpio.gz.tmp" "$outdir/initramfs.cpio.gz"
ln -sf base/vmlinux "$outdir/vmlinux"
(cat "$outdir/base/tools.list"; echo dpdk-testpmd) >"$outdir/tools.list"
echo "$stamp" >"$outdir/image.stamp"
echo "build-dpdk-guest-image: built $outdir ($(du -k "$outdir/dpdk.cpio.gz" | cut -f1) KiB DPDK archive on top of the base image)"
