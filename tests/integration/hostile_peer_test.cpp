// A peer that does what it must not: resize the shared memory, or send
// bytes on its domain socket. The server must refuse or disconnect it and
// the other peers must not notice anything but a leave.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent_client.h"
#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

const std::string kConfig = domain_config("Pair", "1MB", 1);

// A client that speaks the protocol by hand: the first three messages only.
struct RawPeer {
    sys::UniqueFd sock;
    std::int64_t id = -1;
    sys::UniqueFd memfd;
};

RawPeer connect_raw(const std::string& path) {
    RawPeer p;
    auto s = sys::connect_unix(path);
    if (!s) {
        ADD_FAILURE() << s.error().message;
        return p;
    }
    p.sock = std::move(s).value();
    const auto t = std::chrono::seconds(5);
    auto version = sys::receive_message(p.sock.get(), t);
    auto id = sys::receive_message(p.sock.get(), t);
    auto shm = sys::receive_message(p.sock.get(), t);
    if (!version || !id || !shm) {
        ADD_FAILURE() << "initial messages not received";
        return p;
    }
    EXPECT_EQ(version->value, ivshmem::kProtocolVersion);
    EXPECT_EQ(shm->value, ivshmem::kSharedMemoryId);
    p.id = id->value;
    p.memfd = std::move(shm->fd);
    return p;
}

// Two agents that check, after the hostile act, that they still share bytes
// and doorbells.
class HostilePeer : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        a_.emplace(server_.socket_dir() + "/a.log");
        b_.emplace(server_.socket_dir() + "/b.log");
        ida_ = a_->open("Pair", server_.socket_dir());
        idb_ = b_->open("Pair", server_.socket_dir());
        ASSERT_GE(ida_, 0);
        ASSERT_GE(idb_, 0);
        ASSERT_TRUE(a_->sees_peer(idb_));
    }
    void expect_others_still_work() {
        a_->ok("write 100 still-shared");
        EXPECT_EQ(b_->ok("read 100 12"), "still-shared");
        a_->ok("notify " + std::to_string(idb_) + " 0");
        EXPECT_EQ(b_->ok("wait 0 2000"), "1");
    }
    bool a_sees(const std::string& event) {
        std::string seen;
        return eventually([&] {
            seen += " " + a_->ok("events");
            return (seen + " ").find(" " + event + " ") != std::string::npos;
        });
    }

    Server server_{kConfig};
    std::optional<AgentClient> a_, b_;
    int ida_ = -1, idb_ = -1;
};

TEST_F(HostilePeer, MemoryFdIsSealedAgainstResize) {
    RawPeer raw = connect_raw(server_.socket("Pair"));
    ASSERT_TRUE(raw.memfd.valid());
    auto seals = sys::get_seals(raw.memfd.get());
    ASSERT_TRUE(seals) << seals.error().message;
    EXPECT_EQ(*seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
}

TEST_F(HostilePeer, TruncateOfTheMemoryFdFailsAndOthersKeepWorking) {
    RawPeer raw = connect_raw(server_.socket("Pair"));
    ASSERT_TRUE(raw.memfd.valid());
    auto size = sys::fd_size(raw.memfd.get());
    ASSERT_TRUE(size);
    EXPECT_FALSE(sys::ftruncate(raw.memfd.get(), 0)) << "shrink to 0 succeeded";
    EXPECT_FALSE(sys::ftruncate(raw.memfd.get(), *size * 2)) << "grow succeeded";
    EXPECT_EQ(*sys::fd_size(raw.memfd.get()), *size);
    expect_others_still_work();
}

TEST_F(HostilePeer, PeerSendingGarbageIsDisconnectedAndOthersUnaffected) {
    a_->ok("events");
    RawPeer raw = connect_raw(server_.socket("Pair"));
    ASSERT_GE(raw.id, 0);
    EXPECT_TRUE(a_sees("J" + std::to_string(raw.id)));
    const char garbage[] = "GET / HTTP/1.1\r\n\r\n";
    ASSERT_GT(::send(raw.sock.get(), garbage, sizeof garbage, MSG_NOSIGNAL), 0);
    // The server must hang up on it: drain what it sent until EOF.
    bool hung_up = eventually([&] {
        for (;;) {
            auto m = sys::try_receive_message(raw.sock.get());
            if (!m) return m.error().sys == ECONNRESET;
            if (!m->has_value()) return false;
        }
    });
    EXPECT_TRUE(hung_up) << "the server kept the connection of a peer that sent garbage";
    EXPECT_TRUE(a_sees("L" + std::to_string(raw.id)));
    expect_others_still_work();
}

}  // namespace
}  // namespace memdomain::test
