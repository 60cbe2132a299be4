#!/bin/sh
# QEMU for the DPDK guest: Debian's DPDK is built for x86-64 with SSE4.2
# (-march=corei7) and dies with SIGILL on QEMU's default TCG CPU (qemu64).
# The VM launcher runs $MEMDOMAIN_QEMU; this execs the real QEMU in place
# (same PID, so the launcher still stops it by PID) with a CPU that has them.
exec "${MEMDOMAIN_QEMU_REAL:-qemu-system-x86_64}" -cpu max "$@"
