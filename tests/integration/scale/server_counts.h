// What the scale tests read from a running memdomaind through its control
// socket (the `stats` verb): open descriptors, peers, domains. The control
// connection itself is one of the server's descriptors, so a test keeps one
// connection for all its readings and compares like with like.
#pragma once

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "control_connection.h"

namespace memdomain::test {

struct ServerCounts {
    long fds_open = -1;
    long fd_limit = -1;
    long peers = -1;
    long domains = -1;
};

inline ServerCounts read_counts(ControlConnection& c) {
    ServerCounts s;
    auto r = c.call("stats");
    EXPECT_TRUE(r) << r.error().message;
    if (!r || !r->value("ok", false)) {
        ADD_FAILURE() << "stats failed: " << (r ? r->dump() : "");
        return s;
    }
    const auto& j = r->at("result");
    s.fds_open = j.at("fds_open").get<long>();
    s.fd_limit = j.at("fd_limit").get<long>();
    s.peers = j.at("peers").get<long>();
    s.domains = j.at("domains").get<long>();
    return s;
}

// Polls `pred` until true or `timeout`; the server notices hang-ups in its own time.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace memdomain::test
