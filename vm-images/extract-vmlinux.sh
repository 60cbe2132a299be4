#!/bin/sh
# Extracts the uncompressed ELF kernel (vmlinux) from a Debian bzImage
# (/boot/vmlinuz-*), so QEMU can boot it through the PVH entry point with
# `-kernel vmlinux`: under TCG that skips the in-guest decompressor and boots
# about twice as fast as the bzImage.
#
# Same idea as the kernel's scripts/extract-vmlinux, reduced to what Debian
# ships (an xz payload): find each xz stream magic (FD 37 7A 58 5A 00) in the
# image, decompress from there, keep the first result that is an ELF file.
#
# usage: extract-vmlinux.sh BZIMAGE OUTFILE
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 BZIMAGE OUTFILE" >&2
    exit 2
fi
image=$1
out=$2
[ -r "$image" ] || { echo "extract-vmlinux: cannot read $image" >&2; exit 1; }

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

# grep -b prints byte offsets; -a treats the binary as text; -P for \x escapes.
for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$image" | cut -d: -f1); do
    # xz complains about the bytes after the stream (the rest of the bzImage);
    # that is expected, so judge the result by its content, not xz's status.
    tail -c +"$((off + 1))" "$image" | xz -dc 2>/dev/null >"$tmp" || true
    if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        mv "$tmp" "$out"
        trap - EXIT
        exit 0
    fi
done
echo "extract-vmlinux: no xz-compressed ELF kernel found in $image" >&2
exit 1
