#include "memdomain/sys/fd.h"

#include <fcntl.h>
#include <unistd.h>

namespace memdomain::sys {

void UniqueFd::reset(int fd) noexcept {
    // close() is not retried on EINTR: on Linux the fd is gone either way.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

Result<UniqueFd> duplicate(int fd) {
    const int d = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) return sys_error("fcntl(F_DUPFD_CLOEXEC)");
    return UniqueFd(d);
}

}  // namespace memdomain::sys
