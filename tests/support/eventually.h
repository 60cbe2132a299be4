// Polling for a condition that another process makes true in its own time
// (a server noticing a hang-up, a peer seeing a join): the test states the
// condition and the longest it may take.
#pragma once

#include <chrono>
#include <thread>

namespace memdomain::test {

// Calls `pred` every 10 ms until it returns true (true) or `timeout` passes
// (false).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

}  // namespace memdomain::test
