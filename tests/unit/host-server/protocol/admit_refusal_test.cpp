// DomainServer::admit when a step of the admission fails for real — the
// kernel refuses an eventfd or the read-only reopen (no descriptor left
// under this process's RLIMIT_NOFILE), or epoll refuses the socket — and
// ServedDomain when a connection's credentials cannot be read: the client
// always gets the refusal pair (version 0, then id -1; QEMU waits forever
// on a bare close), and the id it would have had is free again.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "config/config_parser.h"
#include "domain/served_domain.h"
#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/socket.h"
#include "protocol/domain_server.h"
#include "server_fixture.h"

using namespace memdomain;
using namespace memdomain::server;
using namespace std::chrono_literals;

namespace {

// Lowers this process's soft RLIMIT_NOFILE and fills every free descriptor
// below it, so the next open, eventfd or reopen fails with EMFILE; gives
// everything back when it goes.
class NoFreeDescriptors {
public:
    NoFreeDescriptors() {
        ::getrlimit(RLIMIT_NOFILE, &saved_);
        int highest = 0;
        for (int fd = 0; fd < 4096; ++fd)
            if (::fcntl(fd, F_GETFD) >= 0) highest = fd;
        rlimit low = saved_;
        low.rlim_cur = static_cast<rlim_t>(highest + 1);
        ::setrlimit(RLIMIT_NOFILE, &low);
        for (int i = 0; i < 4096; ++i) {
            const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) break;
            held_.push_back(fd);
        }
        exhausted_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC) < 0 && errno == EMFILE;
    }
    ~NoFreeDescriptors() {
        for (int fd : held_) ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }
    bool exhausted() const { return exhausted_; }

private:
    rlimit saved_{};
    std::vector<int> held_;
    bool exhausted_ = false;
};

// Reads the refusal pair from the client's end.
void expect_refusal_pair(int client) {
    auto version = sys::receive_message(client, 2000ms);
    ASSERT_TRUE(version) << "no version message: " << version.error().message << " (a bare close?)";
    EXPECT_EQ(version->value, ivshmem::kProtocolVersion);
    EXPECT_FALSE(version->fd.valid());
    auto id = sys::receive_message(client, 2000ms);
    ASSERT_TRUE(id) << "no id message: " << id.error().message << " (a bare close?)";
    EXPECT_EQ(id->value, ivshmem::kRefusedId);
}

class AdmitFailure : public ::testing::Test {
protected:
    void SetUp() override {
        SegmentSpec s;
        s.domain = "Admit";
        s.size = 1 * MiB;
        s.vectors = 2;
        s.max_peers = 1;  // one id: a refusal that kept it would starve the next peer
        auto seg = Segment::create(s);
        ASSERT_TRUE(seg) << seg.error().message;
        segment_.emplace(std::move(seg).value());
        auto loop = EventLoop::create();
        ASSERT_TRUE(loop) << loop.error().message;
        loop_.emplace(std::move(loop).value());
        server_ = std::make_unique<DomainServer>(*segment_, "", *loop_);
        ASSERT_TRUE(server_->start());
    }
    // A connected pair: {server end, client end}.
    static std::pair<sys::UniqueFd, sys::UniqueFd> connection() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
        return {sys::UniqueFd(sv[0]), sys::UniqueFd(sv[1])};
    }
    void admit(sys::UniqueFd sock, SegmentAccess access) {
        server_->admit(std::move(sock), sys::PeerCredentials{::getpid(), ::getuid(), ::getgid()}, {}, access);
    }
    // The one id is free again: a peer that asks now gets it and its burst.
    void expect_next_peer_admitted() {
        auto [server_end, client] = connection();
        admit(std::move(server_end), SegmentAccess::ReadWrite);
        EXPECT_EQ(server_->peer_count(), 1u);
        auto version = sys::receive_message(client.get(), 2000ms);
        ASSERT_TRUE(version) << version.error().message;
        auto id = sys::receive_message(client.get(), 2000ms);
        ASSERT_TRUE(id) << id.error().message;
        EXPECT_EQ(id->value, 0);
    }

    std::optional<Segment> segment_;
    std::optional<EventLoop> loop_;
    std::unique_ptr<DomainServer> server_;
};

TEST_F(AdmitFailure, NoDescriptorForAnEventfdSendsTheRefusalPair) {
    auto [server_end, client] = connection();
    {
        NoFreeDescriptors full;
        ASSERT_TRUE(full.exhausted()) << "could not use up this process's descriptors";
        admit(std::move(server_end), SegmentAccess::ReadWrite);
    }
    EXPECT_EQ(server_->peer_count(), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_refusal_pair(client.get()));
    expect_next_peer_admitted();
}

TEST_F(AdmitFailure, NoDescriptorForTheReadOnlyReopenSendsTheRefusalPair) {
    auto [server_end, client] = connection();
    {
        NoFreeDescriptors full;
        ASSERT_TRUE(full.exhausted()) << "could not use up this process's descriptors";
        admit(std::move(server_end), SegmentAccess::ReadOnly);  // first R/O grant: the reopen happens now
    }
    EXPECT_EQ(server_->peer_count(), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_refusal_pair(client.get()));
    expect_next_peer_admitted();
}

TEST_F(AdmitFailure, EpollRefusingTheSocketSendsTheRefusalPair) {
    auto [server_end, client] = connection();
    // The socket is already registered with the loop: epoll_ctl(ADD) says EEXIST.
    auto taken = loop_->add(server_end.get(), EPOLLIN, [](std::uint32_t) {});
    ASSERT_TRUE(taken) << taken.error().message;
    admit(std::move(server_end), SegmentAccess::ReadWrite);
    loop_->remove(*taken);
    EXPECT_EQ(server_->peer_count(), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_refusal_pair(client.get()));
    expect_next_peer_admitted();
}

// A TCP connection has SO_PEERCRED (pid 0) but no SO_PEERGROUPS (ENODATA):
// a connection whose credentials cannot be read is refused with the pair.
TEST(ServedDomainAccept, UnreadableCredentialsGetTheRefusalPair) {
    test::TempDir dir;
    ASSERT_EQ(::mkdir(dir.file("ns").c_str(), 0755), 0);  // the read-only namespace entries go there
    auto cfg = config::parse_config("memdomain Creds {\n    size {\n        huge 4K = 1MB R/W\n    }\n}\n", "<test>");
    ASSERT_TRUE(cfg) << cfg.error().message;
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop);
    DomainContext ctx;
    ctx.loop = &*loop;
    ctx.socket_dir = dir.path();
    auto d = ServedDomain::start(cfg->domains.front(), DomainOrigin::Config, ctx, {});
    ASSERT_TRUE(d) << d.error().message;

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener, 0);
    sys::UniqueFd l(listener);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    sys::UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    sys::UniqueFd accepted(::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    ASSERT_TRUE(accepted.valid());

    (*d)->accept_connection(0, std::move(accepted));
    EXPECT_EQ((*d)->peer_count(), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_refusal_pair(client.get()));
}

}  // namespace
