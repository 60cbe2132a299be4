// timerfd system calls, wrapped once: one-shot timers the event loop can
// watch like any other fd (grace periods, progress ticks).
#pragma once

#include <chrono>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::sys {

// A non-blocking, CLOEXEC CLOCK_MONOTONIC timerfd that fires once after
// `delay` (a zero delay fires at once), or every `delay` when `periodic`.
Result<UniqueFd> timerfd_start(std::chrono::milliseconds delay, bool periodic = false);
// Reads the expiration count (0 when it has not fired).
Result<std::uint64_t> timerfd_drain(int fd);

}  // namespace memdomain::sys
