// A memdomaind whose RLIMIT_NOFILE is 128 (soft = hard, so raising the soft
// limit at start cannot help it) serving a domain with max_peers = 1024:
// peers connect until the server refuses one for lack of descriptors. The
// refusal is the protocol's pair (version 0, id -1) and the log names
// RLIMIT_NOFILE; the server kept its reserve of 32 for everything else; the
// peers already in keep working (doorbells, a newcomer once one left), the
// control socket answers; and once everybody left the server holds exactly
// what it held before the first peer.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <optional>
#include <vector>

#include "host_peer.h"
#include "raw_peer.h"
#include "server_counts.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

constexpr int kLimit = 128;
constexpr long kReserve = 32;  // ServedDomain's fd_reserve
constexpr int kVectors = 2;
constexpr long kPerPeer = 1 + kVectors;
const std::string kNofile = "--nofile=" + std::to_string(kLimit) + ":" + std::to_string(kLimit);

const std::string kConfig =
    "memdomain Tight {\n"
    "    max_peers = 1024\n"
    "    vectors = 2\n"
    "    size {\n"
    "        huge 4K = 128KB R/W\n"  // header + 1024 mailbox lines (64K) + data
    "    }\n"
    "}\n";

// The soft and hard "Max open files" of a process, from /proc/PID/limits
// ({-1, -1} when unreadable; "unlimited" is -1 too).
struct FdLimits {
    long soft = -1, hard = -1;
};
FdLimits process_fd_limits(pid_t pid) {
    std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/limits"));
    std::string line;
    FdLimits l;
    while (std::getline(in, line)) {
        if (line.rfind("Max open files", 0) != 0) continue;
        std::istringstream f(line.substr(14));
        std::string soft, hard;
        f >> soft >> hard;
        auto num = [](const std::string& s) { return s == "unlimited" ? -1L : std::stol(s); };
        l.soft = num(soft);
        l.hard = num(hard);
    }
    return l;
}

class FdLimit : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        const FdLimits l = process_fd_limits(server_.pid());
        ASSERT_EQ(l.soft, kLimit) << "prlimit did not apply";
        ASSERT_EQ(l.hard, kLimit);
        auto c = ControlConnection::connect(server_.socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        control_.emplace(std::move(c).value());
        const ServerCounts s = read_counts(*control_);
        baseline_ = s.fds_open;
        ASSERT_EQ(s.fd_limit, kLimit);
        ASSERT_GT(baseline_, 0);
    }
    std::optional<HostPeer> host_peer() {
        auto p = HostPeer::connect(server_.socket("Tight"));
        EXPECT_TRUE(p) << p.error().message << "\n" << server_.log();
        if (!p) return std::nullopt;
        return std::move(p).value();
    }

    // Two full peers (holding every eventfd, to ring each other later), then
    // lean ones until the server refuses one; `refusal_` is that error.
    void fill_until_refused() {
        a_ = host_peer();
        b_ = host_peer();
        ASSERT_TRUE(a_ && b_);
        for (int i = 0; i < 1024 && !refusal_; ++i) {
            auto p = RawPeer::join(server_.socket("Tight"));
            if (p)
                crowd_.push_back(std::move(p).value());
            else
                refusal_ = p.error();
        }
        ASSERT_TRUE(refusal_) << "no peer was refused with RLIMIT_NOFILE " << kLimit;
        admitted_ = static_cast<long>(crowd_.size()) + 2;
    }

    // util-linux prlimit sets soft = hard before it execs memdomaind in
    // place: the daemon raises its soft limit to the hard one at start, so
    // only a hard limit this low stays low.
    Server server_{kConfig, {}, {"/usr/bin/prlimit", kNofile, "--"}};
    std::optional<ControlConnection> control_;
    long baseline_ = -1;
    std::optional<HostPeer> a_, b_;
    std::vector<RawPeer> crowd_;
    std::optional<Error> refusal_;
    long admitted_ = 0;
};

TEST_F(FdLimit, TheRefusalIsTheProtocolPairAndTheLogNamesRlimitNofile) {
    ASSERT_NO_FATAL_FAILURE(fill_until_refused());
    EXPECT_EQ(refusal_->sys, ECONNREFUSED) << "not the refusal pair: " << refusal_->message;
    const std::string needle = "descriptors of its RLIMIT_NOFILE " + std::to_string(kLimit);
    EXPECT_TRUE(eventually([&] { return server_.log().find(needle) != std::string::npos; }))
        << server_.log().substr(0, 4000);
    auto again = RawPeer::join(server_.socket("Tight"));
    ASSERT_FALSE(again) << "admitted past the budget";
    EXPECT_EQ(again.error().sys, ECONNREFUSED) << again.error().message;
}

TEST_F(FdLimit, ThePeersFillTheBudgetAndTheReserveIsKept) {
    ASSERT_NO_FATAL_FAILURE(fill_until_refused());
    const ServerCounts at = read_counts(*control_);
    std::printf("[ scale    ] RLIMIT_NOFILE %d: %ld peers admitted (1 + %d fds each), server fds baseline %ld, "
                "at refusal %ld\n",
                kLimit, admitted_, kVectors, baseline_, at.fds_open);
    EXPECT_EQ(at.peers, admitted_);
    EXPECT_EQ(at.fds_open, baseline_ + admitted_ * kPerPeer) << "each peer costs its socket and its eventfds";
    EXPECT_LE(at.fds_open, kLimit - kReserve) << "the server ate into its reserve";
    // Refused at the budget, not before: one more peer would not have fit
    // (the check counts the new socket twice, hence two peers' worth).
    EXPECT_GT(at.fds_open + 2 * kPerPeer, kLimit - kReserve) << "refused although there was room";
}

TEST_F(FdLimit, ThePeersInKeepTheirDoorbellsAndANewcomerFitsOnceOneLeft) {
    ASSERT_NO_FATAL_FAILURE(fill_until_refused());
    ASSERT_TRUE(a_->drain(100ms));
    ASSERT_TRUE(b_->drain(100ms));
    ASSERT_TRUE(a_->ring(b_->id(), 1));
    auto rung = b_->wait_doorbell(1, 2s);
    ASSERT_TRUE(rung) << rung.error().message;
    EXPECT_TRUE(*rung);
    ASSERT_TRUE(b_->ring(a_->id(), 0));
    rung = a_->wait_doorbell(0, 2s);
    ASSERT_TRUE(rung) << rung.error().message;
    EXPECT_TRUE(*rung);

    // The server still hears: a leave is announced and its room is a newcomer's.
    const long full = read_counts(*control_).fds_open;
    const std::int64_t gone = crowd_.back().id();
    crowd_.pop_back();
    ASSERT_TRUE(a_->wait_leave(gone, 5s));
    EXPECT_TRUE(eventually([&] { return read_counts(*control_).fds_open == full - kPerPeer; }));
    std::optional<HostPeer> c = host_peer();
    ASSERT_TRUE(c) << "no room for a newcomer after a peer left";
    auto joined = a_->wait_join(5s);
    ASSERT_TRUE(joined) << joined.error().message;
    EXPECT_EQ(*joined, c->id());
    ASSERT_TRUE(a_->ring(c->id(), 0));
    rung = c->wait_doorbell(0, 2s);
    ASSERT_TRUE(rung) << rung.error().message;
    EXPECT_TRUE(*rung);
    EXPECT_EQ(read_counts(*control_).peers, admitted_);
}

TEST_F(FdLimit, DescriptorsReturnToTheBaselineWhenEveryPeerLeaves) {
    ASSERT_NO_FATAL_FAILURE(fill_until_refused());
    crowd_.clear();
    a_.reset();
    b_.reset();
    EXPECT_TRUE(eventually([&] { return read_counts(*control_).peers == 0; }));
    long now = -1;
    EXPECT_TRUE(eventually([&] { return (now = read_counts(*control_).fds_open) == baseline_; }))
        << "server fds " << now << " after every peer left, baseline " << baseline_;
    EXPECT_EQ(process_fd_limits(server_.pid()).soft, kLimit);
    // And it admits again.
    auto p = RawPeer::join(server_.socket("Tight"));
    EXPECT_TRUE(p) << p.error().message;
}

}  // namespace
}  // namespace memdomain::test
