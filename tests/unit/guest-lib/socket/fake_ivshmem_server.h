// A scripted stand-in for memdomaind on one socket, for the protocol
// violations the real server never commits (wrong version, missing fd,
// corrupt header, silence). It accepts one client on a thread, sends the
// script, and keeps the connection open until it is destroyed.
#pragma once

#include <string>
#include <thread>
#include <vector>

#include "memdomain/sys/fd.h"

namespace memdomain::test {

struct ScriptedMessage {
    std::int64_t value = 0;
    int fd = -1;  // not owned; sent with the message when >= 0
};

class FakeIvshmemServer {
public:
    FakeIvshmemServer(const std::string& socket_path, std::vector<ScriptedMessage> script);
    ~FakeIvshmemServer();
    FakeIvshmemServer(const FakeIvshmemServer&) = delete;
    FakeIvshmemServer& operator=(const FakeIvshmemServer&) = delete;

private:
    void run();
    sys::UniqueFd listen_, stop_;  // stop_: an eventfd the thread also polls
    std::vector<ScriptedMessage> script_;
    std::thread thread_;
};

}  // namespace memdomain::test
