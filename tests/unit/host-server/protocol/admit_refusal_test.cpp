// DomainServer::admit when a step of the admission fails for real — the
// kernel refuses an eventfd or the read-only reopen with EMFILE (as when no
// descriptor is left under RLIMIT_NOFILE), or epoll refuses the socket — and
// ServedDomain when a connection's credentials cannot be read: the client
// always gets the refusal pair (version 0, then id -1; QEMU waits forever
// on a bare close), and the id it would have had is free again.
#include <arpa/inet.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstddef>
#include <thread>

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

// Runs `fn` on a thread of its own whose system call `nr` the kernel fails
// with EMFILE (a seccomp filter: it binds that thread only, and goes with
// it). This is the error admit meets when no descriptor is left; the test
// does not use up the process's descriptors instead, because the sanitizers
// need some (UBSan's vptr check opens a pipe to look at a vtable).
template <class Fn>
bool with_syscall_failing(long nr, Fn fn) {
    bool installed = false;
    std::thread t([&] {
        sock_filter code[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EMFILE & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog prog{static_cast<unsigned short>(std::size(code)), code};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return;
        if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) return;
        installed = true;
        fn();
    });
    t.join();
    return installed;
}

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
    // admit() while the kernel fails system call `nr` with EMFILE; false if
    // the filter could not be installed.
    bool admit_while_failing(long nr, sys::UniqueFd sock, SegmentAccess access) {
        return with_syscall_failing(nr, [&] { admit(std::move(sock), access); });
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

TEST_F(AdmitFailure, EventfdRefusedByTheKernelSendsTheRefusalPair) {
    auto [server_end, client] = connection();
    ASSERT_TRUE(admit_while_failing(SYS_eventfd2, std::move(server_end), SegmentAccess::ReadWrite))
        << "could not install the seccomp filter";
    EXPECT_EQ(server_->peer_count(), 0u);
    ASSERT_NO_FATAL_FAILURE(expect_refusal_pair(client.get()));
    expect_next_peer_admitted();
}

TEST_F(AdmitFailure, ReadOnlyReopenRefusedByTheKernelSendsTheRefusalPair) {
    auto [server_end, client] = connection();
    // The first R/O grant: the read-only reopen happens now.
    ASSERT_TRUE(admit_while_failing(SYS_openat, std::move(server_end), SegmentAccess::ReadOnly))
        << "could not install the seccomp filter";
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
