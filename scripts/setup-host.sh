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
  libsystemd-dev
  googletest libgtest-dev libgmock-dev
  # fuzzing and sanitizers
  clang-14 libclang-rt-14-dev
  # QEMU and the test guest (kernel, busybox initramfs)
  qemu-system-x86 qemu-utils busybox-static linux-image-amd64 xz-utils cpio gzip kmod
  # tools the tests use (useradd for the access-control tests, prlimit for
  # the fd-limit tests, ss for the reload's listen backlog)
  procps util-linux passwd iproute2
  # DPDK 22.11: runtime, dpdk-testpmd, headers; dpkg-dev for `apt-get source`
  dpdk dpdk-dev libdpdk-dev dpkg-dev
  # libvirt: the hook and memdomainctl attach (libxml2, libvirt's C API), and
  # the libvirt tests' libvirtd, virtlogd and virsh
  libvirt-daemon-system libvirt-clients libvirt-dev libxml2-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Without systemd (containers, CI) libvirt-daemon-system's maintainer
  # scripts would start libvirtd and virtlogd through /etc/init.d; the
  # tests run their own in a private namespace, so services stay down
  # during the install unless a policy already decides.
  policy=/usr/sbin/policy-rc.d
  own_policy=no
  if [ ! -e "$policy" ] && [ ! -d /run/systemd/system ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=yes
  fi
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}" || { [ "$own_policy" = yes ] && rm -f "$policy"; exit 1; }
  [ "$own_policy" = yes ] && rm -f "$policy"
fi

# Hugepage pools. The 2 MiB pool grows to at least $pages pages (never
# shrinks one in use): the tests need them, so a pool that cannot be sized is
# an error, not a warning. Where the kernel has a 1 GiB pool, one page is
# reserved so 1G serving is tested for real; a kernel without one (no
# hugepages-1048576kB directory) is hardware this machine lacks, and the 1G
# tests say so.
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ ! -d "$hp" ]; then
  echo "setup-host.sh: this kernel has no 2 MiB hugepage pool ($hp): memdomain's tests need one" >&2
  exit 1
fi
cur=$(cat "$hp/nr_hugepages")
if [ "$cur" -lt "$pages" ]; then
  echo "$pages" > "$hp/nr_hugepages" 2>/dev/null || true
  # The kernel may give fewer than asked when memory is fragmented: drop
  # the page cache and try once more before giving up.
  if [ "$(cat "$hp/nr_hugepages")" -lt "$pages" ]; then
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    echo "$pages" > "$hp/nr_hugepages" 2>/dev/null || true
  fi
fi
if [ "$(cat "$hp/nr_hugepages")" -lt "$pages" ]; then
  echo "setup-host.sh: asked for $pages 2 MiB hugepages, the kernel gave $(cat "$hp/nr_hugepages")" >&2
  exit 1
fi
echo "setup-host.sh: 2M hugepages: $(cat "$hp/nr_hugepages") total, $(cat "$hp/free_hugepages") free"
gp=/sys/kernel/mm/hugepages/hugepages-1048576kB
if [ -d "$gp" ]; then
  if [ "$(cat "$gp/nr_hugepages")" -lt 1 ]; then
    echo 1 > "$gp/nr_hugepages" 2>/dev/null || true
  fi
  if [ "$(cat "$gp/nr_hugepages")" -lt 1 ]; then
    echo "setup-host.sh: this kernel has a 1 GiB pool but would not give it one page" >&2
    exit 1
  fi
  echo "setup-host.sh: 1G hugepages: $(cat "$gp/nr_hugepages") total, $(cat "$gp/free_hugepages") free"
else
  echo "setup-host.sh: this kernel has no 1 GiB hugepages ($gp): the 1G serving test will say so and skip"
fi

# DPDK's driver headers (ethdev_driver.h, bus_vdev_driver.h) are in no
# binary package: net_memdomain builds against the source package of exactly
# the installed version, unpacked under /var/cache/memdomain/dpdk-src (CMake
# finds it there and refuses another version).
dpdk_version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
dpdk_src=/var/cache/memdomain/dpdk-src
if [ ! -f "$dpdk_src/.version" ] || [ "$(cat "$dpdk_src/.version")" != "$dpdk_version" ]; then
  if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/memdomain-deb-src.sources
    elif [ -f /etc/apt/sources.list ]; then
      sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/memdomain-deb-src.list
    fi
  fi
  apt-get update -q
  rm -rf "$dpdk_src"; mkdir -p "$dpdk_src"
  (cd "$dpdk_src" && apt-get source -q "dpdk=$dpdk_version") > "$dpdk_src.log" 2>&1 || {
    echo "setup-host.sh: 'apt-get source dpdk=$dpdk_version' failed (see $dpdk_src.log)" >&2; exit 1; }
  echo "$dpdk_version" > "$dpdk_src/.version"
fi
echo "setup-host.sh: DPDK $dpdk_version, driver headers in $dpdk_src"

if ! mountpoint -q /dev/hugepages 2>/dev/null; then
  mkdir -p /dev/hugepages
  mount -t hugetlbfs nodev /dev/hugepages || echo "setup-host.sh: warning: could not mount hugetlbfs" >&2
fi
echo "setup-host.sh: ready"
