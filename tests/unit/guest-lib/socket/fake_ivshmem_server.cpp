// FakeIvshmemServer: one scripted connection on a thread (see the header).
#include "fake_ivshmem_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>

#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "memdomain/sys/stream.h"

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

bool FakeIvshmemServer::wait_for_hang_up(std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!hung_up_.load() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return hung_up_.load();
}

void FakeIvshmemServer::run() {
    pollfd p[2] = {{listen_.get(), POLLIN, 0}, {stop_.get(), POLLIN, 0}};
    if (::poll(p, 2, 10000) <= 0 || (p[1].revents & POLLIN)) return;
    auto c = sys::accept_unix(listen_.get());
    if (!c || !c->valid()) return;
    for (const auto& m : script_) {
        for (std::size_t sent = 0; sent < std::min<std::size_t>(m.bytes, 8);) {
            auto n = sys::send_message_part(c->get(), m.value, m.fd, sent);
            if (!n) return;
            sent += *n;
        }
    }
    sent_ = true;
    // Hold the connection until the test is done, noting a hang-up (a
    // client never sends, so readable means end of file or error).
    pollfd w[2] = {{stop_.get(), POLLIN, 0}, {c->get(), POLLIN, 0}};
    while (::poll(w, hung_up_ ? 1 : 2, 10000) > 0 && !(w[0].revents & POLLIN)) {
        std::string ignored;
        auto r = sys::read_some(c->get(), ignored, 64);
        if (!r || r->eof) hung_up_ = true;
    }
}

sys::UniqueFd make_fake_segment(const SegmentHeaderSpec& spec) {
    auto fd = sys::memfd_create("fake-" + std::string(spec.domain_name), 4096);
    EXPECT_TRUE(fd) << fd.error().message;
    if (!fd) return {};
    EXPECT_TRUE(sys::ftruncate(fd->get(), spec.segment_size));
    auto m = sys::map_shared(fd->get(), spec.segment_size, sys::Protection::ReadWrite);
    EXPECT_TRUE(m) << m.error().message;
    if (!m) return {};
    auto st = write_segment_header(m->data(), spec);
    EXPECT_TRUE(st) << st.error().message;
    return std::move(fd).value();
}

}  // namespace memdomain::test
