#include "memdomain/sys/eventfd.h"

#include <sys/eventfd.h>
#include <unistd.h>

namespace memdomain::sys {

Result<UniqueFd> eventfd_create() {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return sys_error("eventfd");
    return UniqueFd(fd);
}

Status eventfd_ring(int fd) {
    const std::uint64_t one = 1;
    for (;;) {
        ssize_t n = ::write(fd, &one, sizeof one);
        if (n == sizeof one) return {};
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return {};  // counter saturated: already rung
        return sys_error("eventfd write");
    }
}

Result<std::uint64_t> eventfd_drain(int fd) {
    std::uint64_t v = 0;
    for (;;) {
        ssize_t n = ::read(fd, &v, sizeof v);
        if (n == sizeof v) return v;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return std::uint64_t{0};
        return sys_error("eventfd read");
    }
}

}  // namespace memdomain::sys
