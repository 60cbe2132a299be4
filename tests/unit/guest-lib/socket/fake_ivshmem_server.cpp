// FakeIvshmemServer: one scripted connection on a thread (see the header).
#include "fake_ivshmem_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {

FakeIvshmemServer::FakeIvshmemServer(const std::string& socket_path, std::vector<ScriptedMessage> script)
    : script_(std::move(script)) {
    auto l = sys::listen_unix(socket_path, 4);
    auto s = sys::eventfd_create();
    if (!l || !s) {
        ADD_FAILURE() << "fake server: " << (!l ? l.error().message : s.error().message);
        return;
    }
    listen_ = std::move(l).value();
    stop_ = std::move(s).value();
    thread_ = std::thread([this] { run(); });
}

FakeIvshmemServer::~FakeIvshmemServer() {
    if (stop_) (void)sys::eventfd_ring(stop_.get());
    if (thread_.joinable()) thread_.join();
}

void FakeIvshmemServer::run() {
    pollfd p[2] = {{listen_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0 || (p[1].revents & POLLIN)) return;
    auto c = sys::accept_unix(listen_.get());
    if (!c || !c->valid()) return;
    for (const auto& m : script_) {
        for (std::size_t sent = 0; sent < 8;) {
            auto n = sys::send_message_part(c->get(), m.value, m.fd, sent);
            if (!n) return;
            sent += *n;
        }
    }
    pollfd s{stop_.get(), POLLIN, 0};
    ::poll(&s, 1, 10000);  // hold the connection until the test is done
}

}  // namespace memdomain::test
