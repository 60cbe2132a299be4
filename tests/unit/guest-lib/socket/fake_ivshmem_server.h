// A scripted stand-in for memdomaind on one socket, for the protocol
// violations the real server never commits (wrong version, missing fd,
// corrupt header, silence) and for headers it does not write yet (map
// addresses, instances that change between segments). It accepts one client
// on a thread, sends the script, keeps the connection open until it is
// destroyed, and notes when the client hangs up.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/sys/fd.h"

namespace memdomain::test {

struct ScriptedMessage {
    std::int64_t value = 0;
    int fd = -1;  // not owned; sent with the message when >= 0
    std::size_t bytes = 8;  // fewer: only the first `bytes` of the message (a torn one)
};

class FakeIvshmemServer {
public:
    FakeIvshmemServer(const std::string& socket_path, std::vector<ScriptedMessage> script);
    ~FakeIvshmemServer();
    FakeIvshmemServer(const FakeIvshmemServer&) = delete;
    FakeIvshmemServer& operator=(const FakeIvshmemServer&) = delete;

    // True once the client has connected and got the whole script.
    bool script_sent() const { return sent_.load(); }
    // True once the client, after the script, closed its end.
    bool client_hung_up() const { return hung_up_.load(); }
    // Waits up to `timeout` for client_hung_up(); returns it.
    bool wait_for_hang_up(std::chrono::milliseconds timeout) const;

private:
    void run();
    sys::UniqueFd listen_, stop_;  // stop_: an eventfd the thread also polls
    std::vector<ScriptedMessage> script_;
    std::atomic<bool> sent_{false}, hung_up_{false};
    std::thread thread_;
};

// A memfd of `spec.segment_size` bytes (4 KiB pages) holding the header
// write_segment_header makes of `spec`: a segment as the server would send it.
sys::UniqueFd make_fake_segment(const SegmentHeaderSpec& spec);

}  // namespace memdomain::test
