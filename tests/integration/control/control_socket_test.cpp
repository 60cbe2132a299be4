// control.sock of a real memdomaind: each verb's shape and values (peers as
// the kernel sees a real attached client), the error replies, and the
// limits (oversized lines, clients that never read, too many clients), with
// the server's fd count back to its baseline afterwards.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "control_connection.h"
#include "host_peer.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kConfig = R"(
memdomain Ctl {
    vectors = 2
    max_peers = 16
    size {
        huge 4K = 1MB R/W
    }
}
memdomain Two {
    size {
        huge 4K = 64KB R/O
        huge 4K = 512KB R/W
    }
}
)";

// Waits until the server's fd count equals `want`; the last count seen.
int settle_fds(pid_t pid, int want) {
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    int now = count_fds(pid);
    while (now != want && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        now = count_fds(pid);
    }
    return now;
}

class ControlSocket : public ::testing::Test {
protected:
    void SetUp() override {
        server_ = std::make_unique<Server>(kConfig);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
        auto c = ControlConnection::connect(server_->socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        conn_.emplace(std::move(c).value());
    }
    // The result of a request that must succeed.
    json result(const std::string& verb, const std::string& name = "") {
        auto r = conn_->call(verb, name);
        EXPECT_TRUE(r) << r.error().message;
        if (!r) return {};
        EXPECT_TRUE(r->at("ok").get<bool>()) << r->dump();
        return r->value("result", json());
    }
    std::unique_ptr<Server> server_;
    std::optional<ControlConnection> conn_;
};

TEST_F(ControlSocket, SocketIsMode0660OwnedByTheServersUserAndRootsGroup) {
    struct stat st{};
    ASSERT_EQ(::stat((server_->socket_dir() + "/control.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_uid, ::geteuid());
    EXPECT_EQ(st.st_gid, 0u);
}

TEST_F(ControlSocket, ReplyEnvelopeStartsWithVersionAndOk) {
    ASSERT_TRUE(conn_->send_raw("{\"v\":1,\"verb\":\"list\"}\n"));
    char buf[16] = {};
    ASSERT_EQ(::recv(conn_->fd(), buf, 15, MSG_WAITALL), 15);
    EXPECT_EQ(std::string(buf), "{\"v\":1,\"ok\":tru");
}

TEST_F(ControlSocket, ListCountsAPeerAttachedToTheDomain) {
    auto peer = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto domains = result("list").at("domains");
    ASSERT_EQ(domains.size(), 2u);
    EXPECT_EQ(domains[0], json({{"name", "Ctl"},
                                {"type", "shared"},
                                {"policy", "static"},
                                {"origin", "config"},
                                {"segments", 1},
                                {"size", 1 << 20},
                                {"instances", 1},
                                {"resident", 1 << 20},
                                {"peers", 1}}));
    EXPECT_EQ(domains[1].at("name"), "Two");
    EXPECT_EQ(domains[1].at("segments"), 2);
    EXPECT_EQ(domains[1].at("size"), (64 + 512) * 1024);
    EXPECT_EQ(domains[1].at("peers"), 0);
}

TEST_F(ControlSocket, ShowGivesAnAttachedPeersIdPidUidGidAndAccess) {
    auto peer = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto seg = result("show", "Ctl").at("instances").at(0).at("segments").at(0);
    ASSERT_EQ(seg.at("peers").size(), 1u) << seg.dump();
    const auto& p = seg.at("peers")[0];
    EXPECT_EQ(p.at("id"), peer->id());
    EXPECT_EQ(p.at("pid"), ::getpid());
    EXPECT_EQ(p.at("uid"), ::getuid());
    EXPECT_EQ(p.at("gid"), ::getgid());
    EXPECT_EQ(p.at("access"), "R/W");
    EXPECT_EQ(p.at("queued"), 0);
    EXPECT_EQ(p.at("doorbells"), json({0, 0})) << "one mailbox counter per vector, none rung";
}

TEST_F(ControlSocket, ShowCountsADoorbellInTheRungPeersMailbox) {
    auto a = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(a) << a.error().message;
    auto b = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(b) << b.error().message;
    ASSERT_TRUE(a->wait_join(2s));
    // The mailbox is in shared memory: the ringer writes it, the server reads it.
    std::uint64_t* word = mailbox_word(a->memory(), a->header(), static_cast<std::uint32_t>(b->id()), 1);
    ASSERT_NE(word, nullptr);
    std::atomic_ref<std::uint64_t>(*word).fetch_add(1);
    ASSERT_TRUE(a->ring(b->id(), 1));
    const auto peers = result("show", "Ctl").at("instances").at(0).at("segments").at(0).at("peers");
    bool found = false;
    for (const auto& p : peers)
        if (p.at("id") == b->id()) {
            found = true;
            EXPECT_EQ(p.at("doorbells"), json({0, 1})) << p.dump();
        }
    EXPECT_TRUE(found) << peers.dump();
}

TEST_F(ControlSocket, ShowGivesTheGenerationTheSegmentHeaderCarries) {
    auto peer = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto r = result("show", "Ctl");
    EXPECT_EQ(r.at("instances").at(0).at("generation").get<std::uint64_t>(), peer->header().generation);
    const auto& seg = r.at("segments").at(0);
    EXPECT_EQ(seg.at("page_size"), 4096);
    EXPECT_EQ(seg.at("size"), 1 << 20);
    EXPECT_EQ(seg.at("socket"), server_->socket("Ctl"));
    EXPECT_EQ(seg.at("namespace"), server_->socket_dir() + "/ns/Ctl");
    EXPECT_EQ(r.at("vectors"), 2);
    EXPECT_EQ(r.at("max_peers"), 16);
    EXPECT_FALSE(r.at("acl").at("explicit").get<bool>());
}

TEST_F(ControlSocket, ShowDropsAPeerOnceItHasLeft) {
    {
        auto peer = HostPeer::connect(server_->socket("Ctl"));
        ASSERT_TRUE(peer) << peer.error().message;
        ASSERT_EQ(result("show", "Ctl").at("instances").at(0).at("peers"), 1);
    }
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    std::size_t n = 1;
    while (n != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
        n = result("show", "Ctl").at("instances").at(0).at("segments").at(0).at("peers").size();
    }
    EXPECT_EQ(n, 0u);
}

TEST_F(ControlSocket, StatsGiveTheServersPidPeersAndFdCount) {
    auto peer = HostPeer::connect(server_->socket("Ctl"));
    ASSERT_TRUE(peer) << peer.error().message;
    auto r = result("stats");
    EXPECT_EQ(r.at("pid"), server_->pid());
    EXPECT_EQ(r.at("domains"), 2);
    EXPECT_EQ(r.at("peers"), 1);
    EXPECT_EQ(r.at("control_clients"), 1);
    // The server is idle while we look: its count and ours must agree.
    EXPECT_EQ(r.at("fds_open").get<int>(), count_fds(server_->pid()));
    EXPECT_GT(r.at("uptime_seconds").get<double>(), 0.0);
}

TEST_F(ControlSocket, StatsGiveTheTwoMegabyteHugepagePool) {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool) GTEST_SKIP() << "this kernel has no 2 MiB hugepage pool: " << pool.error().message;
    auto r = result("stats");
    json found;
    for (const auto& p : r.at("hugepages"))
        if (p.at("page_size") == 2 * MiB) found = p;
    ASSERT_FALSE(found.is_null()) << r.dump();
    EXPECT_EQ(found.at("total"), pool->total);  // free may move: other tests share the pool
}

TEST_F(ControlSocket, UnknownVerbIsEinvalListingTheVerbs) {
    auto r = conn_->call("frobnicate");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->at("ok").get<bool>());
    EXPECT_EQ(r->at("error").at("code"), "EINVAL");
    const auto msg = r->at("error").at("message").get<std::string>();
    for (auto v : {"list", "show", "stats", "qemu-args", "libvirt-xml", "create", "destroy", "grant", "revoke"})
        EXPECT_NE(msg.find(v), std::string::npos) << msg;
}

TEST_F(ControlSocket, UnknownDomainIsEnoentNamingIt) {
    auto r = conn_->call("show", "Nowhere");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->at("error").at("code"), "ENOENT");
    EXPECT_EQ(r->at("error").at("message"), "no domain 'Nowhere'");
}

TEST_F(ControlSocket, GarbageLineGetsAnErrorAndTheNextRequestOnTheSameConnectionWorks) {
    ASSERT_TRUE(conn_->send_raw("\x01\x02 not json {{{\n"));
    auto bad = conn_->read_reply();
    ASSERT_TRUE(bad) << bad.error().message;
    EXPECT_EQ(bad->at("error").at("code"), "EBADMSG");
    EXPECT_EQ(result("list").at("domains").size(), 2u);
}

TEST_F(ControlSocket, PipelinedRequestsAreAnsweredInOrderAfterTheClientShutsItsSide) {
    ASSERT_TRUE(conn_->send_raw("{\"v\":1,\"verb\":\"show\",\"name\":\"Two\"}\n\n"
                                "{\"v\":1,\"verb\":\"show\",\"name\":\"X\"}\n"
                                "{\"v\":1,\"verb\":\"list\"}"));  // last line without '\n'
    ASSERT_EQ(::shutdown(conn_->fd(), SHUT_WR), 0);
    auto a = conn_->read_reply(), b = conn_->read_reply(), c = conn_->read_reply();
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->at("result").at("name"), "Two");
    EXPECT_EQ(b->at("error").at("code"), "ENOENT");
    EXPECT_EQ(c->at("result").at("domains").size(), 2u);
    EXPECT_TRUE(conn_->wait_closed()) << "the server closes once every reply is out";
}

TEST_F(ControlSocket, OversizedRequestLineDisconnectsTheClient) {
    const std::string big = "{\"v\":1,\"verb\":\"list\",\"pad\":\"" + std::string(70 * 1024, 'x');
    (void)conn_->send_raw(big);  // may fail half-way: the server hangs up on us
    EXPECT_TRUE(conn_->wait_closed());
    EXPECT_NE(server_->log().find("longer than 65536 bytes"), std::string::npos) << server_->log();
    // The server itself is fine.
    auto again = ControlConnection::connect(server_->socket_dir());
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_TRUE(again->call("list"));
}

TEST_F(ControlSocket, ClientThatNeverReadsItsRepliesIsDisconnected) {
    const std::string req = "{\"v\":1,\"verb\":\"show\",\"name\":\"Two\"}\n";
    std::string burst;
    for (int i = 0; i < 256; ++i) burst += req;
    // ~700 bytes of reply per 36 bytes of request: a few MiB of replies pile
    // up unread long before this loop ends, unless the server hangs up.
    bool send_failed = false;
    for (int i = 0; i < 64 && !send_failed; ++i)
        send_failed = ::send(conn_->fd(), burst.data(), burst.size(), MSG_NOSIGNAL) < 0;
    EXPECT_TRUE(conn_->wait_closed());
    EXPECT_NE(server_->log().find("stopped reading its replies"), std::string::npos) << server_->log();
}

TEST_F(ControlSocket, SixtyFifthClientIsRefusedWithEbusy) {
    std::vector<ControlConnection> more;
    for (int i = 1; i < 64; ++i) {  // conn_ is the first
        auto c = ControlConnection::connect(server_->socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        more.push_back(std::move(c).value());
    }
    // The server has accepted them all once the last one is answered.
    ASSERT_TRUE(more.back().call("list"));
    auto extra = ControlConnection::connect(server_->socket_dir());
    ASSERT_TRUE(extra) << extra.error().message;
    auto r = extra->read_reply();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->at("error").at("code"), "EBUSY");
    EXPECT_TRUE(extra->wait_closed());
    // One leaves: a newcomer is served again.
    more.pop_back();
    std::optional<json> served;
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!served && std::chrono::steady_clock::now() < deadline) {
        auto c = ControlConnection::connect(server_->socket_dir());
        ASSERT_TRUE(c);
        if (auto reply = c->call("list"); reply && reply->at("ok").get<bool>()) served = *reply;
    }
    EXPECT_TRUE(served) << "no client served after one of 64 left";
}

TEST_F(ControlSocket, ServerFdCountReturnsToBaselineAfterControlClientsComeAndGo) {
    // The baseline: the server without any control client (the fixture's
    // connection answered, so accepted, then closed and seen closed).
    ASSERT_TRUE(conn_->call("stats"));
    const int with_one = count_fds(server_->pid());
    conn_.reset();
    const int baseline = settle_fds(server_->pid(), with_one - 1);
    ASSERT_EQ(baseline, with_one - 1);
    {
        std::vector<ControlConnection> clients;
        for (int i = 0; i < 10; ++i) {
            auto c = ControlConnection::connect(server_->socket_dir());
            ASSERT_TRUE(c) << c.error().message;
            ASSERT_TRUE(c->call("stats"));
            clients.push_back(std::move(c).value());
        }
        EXPECT_EQ(count_fds(server_->pid()), baseline + 10) << "each client must show in the count";
        // Leave in every way: hang up with a request half-sent, with replies unread, cleanly.
        (void)clients[0].send_raw("{\"v\":1,\"ver");
        (void)clients[1].send_raw("{\"v\":1,\"verb\":\"list\"}\n");
    }
    auto oversized = ControlConnection::connect(server_->socket_dir());
    ASSERT_TRUE(oversized);
    (void)oversized->send_raw(std::string(80 * 1024, 'y'));
    EXPECT_TRUE(oversized->wait_closed());
    oversized->close();
    EXPECT_EQ(settle_fds(server_->pid(), baseline), baseline) << server_->log();
}

}  // namespace
}  // namespace memdomain::test
