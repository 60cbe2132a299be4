// How long memdomain-keeper waits before restarting a child that exited:
// `initial` after a child that ran for at least `stable`, doubling with each
// quick exit after that, never more than `max` (or `initial`, if larger).
// It never gives up: the fds it holds are the memory of every domain.
#pragma once

#include <algorithm>
#include <chrono>

namespace memdomain::keeper {

class RestartBackoff {
public:
    using ms = std::chrono::milliseconds;
    explicit RestartBackoff(ms initial, ms max = ms(5000), ms stable = ms(10000))
        : initial_(initial), max_(std::max(max, initial)), stable_(stable), next_(initial) {}

    // The delay before restarting a child that ran for `uptime`.
    ms after_exit(ms uptime);

private:
    ms initial_, max_, stable_, next_;
};

}  // namespace memdomain::keeper
