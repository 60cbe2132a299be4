#!/bin/sh
# Builds the memdomain test guest from Debian packages only:
#   OUTDIR/vmlinux            the uncompressed kernel of linux-image-amd64
#                             (PVH entry: `qemu -kernel vmlinux` boots it directly)
#   OUTDIR/initramfs.cpio.gz  busybox-static + applet links, the vfio modules,
#                             the static guest tools, /init and the scenarios
#   OUTDIR/tools.list         the guest tools in the image, one name a line
#   OUTDIR/image.stamp        hash of every input; nothing is rebuilt while
#                             it matches
#
# usage: build-guest-image.sh OUTDIR [TOOL...]
#   Each TOOL is a statically linked binary installed as /bin/<name>, where a
#   trailing "-guest" is dropped from the file name (memdomain-info-guest
#   becomes memdomain-info). $MEMDOMAIN_GUEST_TOOLS (space separated) adds more.
#   $KERNEL_VERSION picks the kernel (default: the newest /boot/vmlinuz-* that
#   has modules under /lib/modules).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
    echo "usage: $0 OUTDIR [TOOL...]" >&2
    exit 2
fi
outdir=$1
shift
tools="$* ${MEMDOMAIN_GUEST_TOOLS:-}"
# Load order matters: each needs the ones before it (see modules.dep).
modules="irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci"
busybox=/bin/busybox

die() { echo "build-guest-image: $*" >&2; exit 1; }

# --- the kernel ------------------------------------------------------------
if [ -z "${KERNEL_VERSION:-}" ]; then
    for img in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
        v=${img#/boot/vmlinuz-}
        [ -d "/lib/modules/$v" ] && KERNEL_VERSION=$v
    done
fi
[ -n "${KERNEL_VERSION:-}" ] || die "no /boot/vmlinuz-* with matching /lib/modules (apt-get install linux-image-amd64)"
bzimage=/boot/vmlinuz-$KERNEL_VERSION
moddir=/lib/modules/$KERNEL_VERSION
[ -r "$bzimage" ] || die "cannot read $bzimage"
[ -x "$busybox" ] || die "no $busybox (apt-get install busybox-static)"
"$busybox" --list >/dev/null 2>&1 || die "$busybox is not a working busybox"

# Module files (.ko, or compressed .ko.xz/.ko.zst/.ko.gz), found by name.
module_file() {
    f=$(find "$moddir/kernel" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" -o -name "$1.ko.gz" \) | head -n 1)
    [ -n "$f" ] || die "module $1 not found under $moddir (is CONFIG_VFIO built as modules?)"
    echo "$f"
}
modfiles=
for m in $modules; do modfiles="$modfiles $(module_file "$m")"; done

for t in $tools; do
    [ -f "$t" ] || die "guest tool $t does not exist"
    # A dynamic binary would fail in the guest with a misleading "not found".
    if readelf -l "$t" 2>/dev/null | grep -q 'Requesting program interpreter'; then
        die "guest tool $t is dynamically linked; guest tools must be linked -static"
    fi
done

# --- the cache stamp: every input, by content ------------------------------
inputs="$here/build-guest-image.sh $here/extract-vmlinux.sh $here/init $(find "$here/scenarios" -type f | sort) $bzimage $busybox $modfiles $tools"
stamp=$( (echo "kernel $KERNEL_VERSION"; echo "tools $tools"; sha256sum $inputs | cut -d' ' -f1) | sha256sum | cut -d' ' -f1)
mkdir -p "$outdir"
if [ -f "$outdir/image.stamp" ] && [ "$(cat "$outdir/image.stamp")" = "$stamp" ] &&
    [ -f "$outdir/vmlinux" ] && [ -f "$outdir/initramfs.cpio.gz" ] && [ -f "$outdir/tools.list" ]; then
    echo "build-guest-image: $outdir is up to date ($stamp)"
    exit 0
fi
rm -f "$outdir/image.stamp"

# vmlinux depends on the bzImage only; extracting it is the slow part, so it
# has its own stamp.
kstamp=$(sha256sum "$bzimage" | cut -d' ' -f1)
if [ ! -f "$outdir/vmlinux" ] || [ "$(cat "$outdir/vmlinux.stamp" 2>/dev/null)" != "$kstamp" ]; then
    "$here/extract-vmlinux.sh" "$bzimage" "$outdir/vmlinux"
    echo "$kstamp" >"$outdir/vmlinux.stamp"
fi

# --- the initramfs tree ------------------------------------------------------
root=$(mktemp -d "$outdir/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/proc" "$root/sys" \
    "$root/dev" "$root/tmp" "$root/run" "$root/lib/modules" "$root/scenarios"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done

: >"$root/lib/modules/load-order"
for f in $modfiles; do
    name=$(basename "$f")
    case "$name" in
    *.ko.xz) xz -dc "$f" >"$root/lib/modules/${name%.xz}" ;;
    *.ko.zst) zstd -qdc "$f" >"$root/lib/modules/${name%.zst}" ;;
    *.ko.gz) gzip -dc "$f" >"$root/lib/modules/${name%.gz}" ;;
    *) cp "$f" "$root/lib/modules/$name" ;;
    esac
    echo "${name%%.ko*}" >>"$root/lib/modules/load-order"
done

: >"$outdir/tools.list.tmp"
for t in $tools; do
    name=$(basename "$t")
    # Stripped: debug info is of no use in the guest and only slows its
    # boot (the initramfs is unpacked by a TCG-emulated CPU).
    strip -o "$root/bin/${name%-guest}" "$t" 2>/dev/null || cp "$t" "$root/bin/${name%-guest}"
    chmod 755 "$root/bin/${name%-guest}"
    echo "${name%-guest}" >>"$outdir/tools.list.tmp"
done

install -m 755 "$here/init" "$root/init"
cp "$here"/scenarios/* "$root/scenarios/"
echo "$stamp" >"$root/image-stamp"

# newc is the only cpio format the kernel unpacks; sorted for a stable image.
(cd "$root" && find . | sort | cpio --quiet -o -H newc --owner 0:0) | gzip -6 >"$outdir/initramfs.cpio.gz.tmp"
mv "$outdir/initramfs.cpio.gz.tmp" "$outdir/initramfs.cpio.gz"
mv "$outdir/tools.list.tmp" "$outdir/tools.list"  # what tests may rely on
echo "$stamp" >"$outdir/image.stamp"
echo "build-guest-image: built $outdir (kernel $KERNEL_VERSION, tools:${tools:- none}, $(du -k "$outdir/initramfs.cpio.gz" | cut -f1) KiB initramfs)"
