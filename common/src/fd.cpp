#include "memdomain/sys/fd.h"

#include <unistd.h>

namespace memdomain::sys {

void UniqueFd::reset(int fd) noexcept {
    // close() is not retried on EINTR: on Linux the fd is gone either way.
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

}  // namespace memdomain::sys
