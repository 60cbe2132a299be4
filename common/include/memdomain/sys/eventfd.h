// eventfd system calls, wrapped once. Doorbells are eventfds: ringing one is
// writing 1, waiting is reading the accumulated count.
#pragma once

#include <cstdint>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::sys {

// Non-blocking, CLOEXEC eventfd starting at 0.
Result<UniqueFd> eventfd_create();
// Adds 1 (EAGAIN on the full counter is not an error: the peer is rung already).
Status eventfd_ring(int fd);
// Reads and resets the counter; 0 when nothing was pending.
Result<std::uint64_t> eventfd_drain(int fd);

}  // namespace memdomain::sys
