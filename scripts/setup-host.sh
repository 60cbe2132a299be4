#!/usr/bin/env bash
# Prepares a Debian 12 host for memdomain: build and test dependencies, a
# hugepage pool, a hugetlbfs mount. Idempotent: run it as often as you like.
#
#   sudo scripts/setup-host.sh [--hugepages N]   (default: 256 pages of 2 MiB)
set -euo pipefail

pages=256
while [ $# -gt 0 ]; do
  case "$1" in
    --hugepages) pages="$2"; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "setup-host.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host.sh: run as root (it installs packages and sizes the hugepage pool)" >&2
  exit 1
fi

packages=(
  # build
  build-essential cmake ninja-build pkg-config git
  libboost-program-options-dev nlohmann-json3-dev libspdlog-dev libfmt-dev tao-pegtl-dev libnuma-dev
  googletest libgtest-dev libgmock-dev
  # fuzzing and sanitizers
  clang-14 libclang-rt-14-dev
  # QEMU and the test guest (kernel, busybox initramfs)
  qemu-system-x86 qemu-utils busybox-static linux-image-amd64 xz-utils cpio gzip kmod
  # tools the tests use (useradd for the access-control tests)
  procps util-linux passwd
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Hugepage pool: grow to at least $pages 2 MiB pages (never shrink one in use).
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ -d "$hp" ]; then
  cur=$(cat "$hp/nr_hugepages")
  if [ "$cur" -lt "$pages" ]; then
    echo "$pages" > "$hp/nr_hugepages" || true
  fi
  echo "setup-host.sh: 2M hugepages: $(cat "$hp/nr_hugepages") total, $(cat "$hp/free_hugepages") free"
else
  echo "setup-host.sh: warning: this kernel has no 2 MiB hugepage pool" >&2
fi

if ! mountpoint -q /dev/hugepages 2>/dev/null; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages || echo "setup-host.sh: warning: could not mount hugetlbfs" >&2
fi
echo "setup-host.sh: ready"
