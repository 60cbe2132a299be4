#include "keeper/restart_backoff.h"

#include <algorithm>

namespace memdomain::keeper {

RestartBackoff::ms RestartBackoff::after_exit(ms uptime) {
    if (uptime >= stable_) next_ = initial_;
    const ms delay = next_;
    next_ = std::min(next_ * 2, max_);
    return delay;
}

}  // namespace memdomain::keeper
