#include "memdomain/sys/timerfd.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace memdomain::sys {

Result<UniqueFd> timerfd_start(std::chrono::milliseconds delay, bool periodic) {
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (fd < 0) return sys_error("timerfd_create");
    UniqueFd t(fd);
    // it_value 0 would disarm the timer: a zero delay is one nanosecond.
    const auto ns = std::max<long long>(std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count(), 1);
    itimerspec spec{};
    spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
    if (periodic) spec.it_interval = spec.it_value;
    if (::timerfd_settime(t.get(), 0, &spec, nullptr) != 0) return sys_error("timerfd_settime");
    return t;
}

Result<std::uint64_t> timerfd_drain(int fd) {
    std::uint64_t n = 0;
    if (::read(fd, &n, sizeof n) == static_cast<ssize_t>(sizeof n)) return n;
    if (errno == EAGAIN) return std::uint64_t{0};
    return sys_error("read(timerfd)");
}

}  // namespace memdomain::sys
