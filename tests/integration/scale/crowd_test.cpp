// 256 peers on one domain of a real memdomaind (max_peers = 256, vectors =
// 1): all join, every one hears of the 255 others and sees all 256 in the
// header's presence bitmap, the control plane counts 256, the 257th is
// refused with the protocol's refusal pair and a log line, and the server's
// descriptors follow the documented budget:
//
//   server fds = baseline + peers x (1 socket + vectors eventfds)
//
// exactly, while nobody leaves (a leaver's eventfds may stay open a little
// longer, until every queue that carries them is flushed), and exactly the
// baseline again once every peer has left.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <optional>
#include <set>
#include <vector>

#include "ctl_runner.h"
#include "raw_peer.h"
#include "server_counts.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int kPeers = 256;
constexpr int kVectors = 1;
// This process holds 2 fds per peer (socket, own eventfd: see raw_peer.h),
// 512 in all: under the usual soft RLIMIT_NOFILE of 1024.

const std::string kConfig =
    "memdomain Crowd {\n"
    "    max_peers = 256\n"
    "    vectors = 1\n"
    "    size {\n"
    "        huge 4K = 64KB R/W\n"  // header + 256 mailbox lines (16K) + data
    "    }\n"
    "}\n";

class Crowd : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(server_.ok()) << server_.start_error();
        auto c = ControlConnection::connect(server_.socket_dir());
        ASSERT_TRUE(c) << c.error().message;
        control_.emplace(std::move(c).value());
        baseline_ = read_counts(*control_).fds_open;
        ASSERT_GT(baseline_, 0);
    }

    // Joins kPeers peers one after another, then lets every one read what the
    // server told it since, until each knows the kPeers - 1 others.
    void fill() {
        for (int i = 0; i < kPeers; ++i) {
            auto p = RawPeer::join(server_.socket("Crowd"));
            ASSERT_TRUE(p) << "peer " << i << ": " << p.error().message << "\n" << server_.log();
            crowd_.push_back(std::move(p).value());
        }
        const bool all_heard = eventually([&] {
            bool all = true;
            for (auto& p : crowd_) {
                auto st = p.pump();
                EXPECT_TRUE(st) << "peer " << p.id() << ": " << st.error().message;
                if (!st) return true;
                all = all && p.others().size() == kPeers - 1;
            }
            return all;
        });
        ASSERT_TRUE(all_heard) << "some peer did not hear of every other one";
    }

    Server server_{kConfig};
    std::optional<ControlConnection> control_;
    long baseline_ = -1;
    std::vector<RawPeer> crowd_;
};

TEST_F(Crowd, TwoHundredFiftySixPeersJoinAndEachSeesAllOthers) {
    ASSERT_NO_FATAL_FAILURE(fill());
    std::set<std::int64_t> ids;
    for (const auto& p : crowd_) {
        ids.insert(p.id());
        EXPECT_EQ(p.others().size(), std::size_t{kPeers - 1}) << "peer " << p.id();
        EXPECT_EQ(p.others().count(p.id()), 0u);
        EXPECT_EQ(p.header_peer_count(), std::uint64_t{kPeers}) << "peer " << p.id() << "'s header";
    }
    EXPECT_EQ(ids.size(), std::size_t{kPeers}) << "peer ids are unique";
    EXPECT_EQ(*ids.begin(), 0);
    EXPECT_EQ(*ids.rbegin(), kPeers - 1) << "ids are 0..max_peers-1";
    // The bitmap, read through one peer's mapping (they all map the same memory).
    const auto present = crowd_.front().header_present_ids();
    EXPECT_EQ(present.size(), std::size_t{kPeers});
    for (const auto& p : crowd_) EXPECT_EQ(present.count(static_cast<std::uint32_t>(p.id())), 1u) << p.id();
}

TEST_F(Crowd, ControlPlaneCountsTwoHundredFiftySixPeers) {
    ASSERT_NO_FATAL_FAILURE(fill());
    EXPECT_EQ(read_counts(*control_).peers, kPeers);
    auto show = memdomainctl({"--socket-dir", server_.socket_dir(), "--json", "show", "Crowd"});
    ASSERT_EQ(show.exit_code, 0) << show.output;
    const json j = json::parse(show.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << show.output;
    ASSERT_EQ(j.at("instances").size(), 1u) << show.output;
    EXPECT_EQ(j.at("instances").at(0).at("peers"), kPeers);
    EXPECT_EQ(j.at("instances").at(0).at("segments").at(0).at("peers").size(), std::size_t{kPeers});
    EXPECT_EQ(j.at("max_peers"), kPeers);
}

TEST_F(Crowd, ThePeerPastMaxPeersIsRefusedWithTheRefusalPairAndALogLine) {
    ASSERT_NO_FATAL_FAILURE(fill());
    const long full = read_counts(*control_).fds_open;
    auto extra = RawPeer::join(server_.socket("Crowd"));
    ASSERT_FALSE(extra) << "peer " << extra->id() << " got in past max_peers = " << kPeers;
    EXPECT_EQ(extra.error().sys, ECONNREFUSED) << extra.error().message;
    EXPECT_TRUE(eventually([&] {
        return server_.log().find("all " + std::to_string(kPeers) + " peer ids are in use (max_peers)") !=
               std::string::npos;
    })) << server_.log().substr(0, 4000);
    // Nothing of the refused connection stays behind, and nobody heard of it.
    EXPECT_TRUE(eventually([&] { return read_counts(*control_).fds_open == full; }));
    for (auto& p : crowd_) {
        ASSERT_TRUE(p.pump());
        EXPECT_EQ(p.others().size(), std::size_t{kPeers - 1});
    }
    EXPECT_EQ(read_counts(*control_).peers, kPeers);
}

TEST_F(Crowd, ServerFdsFollowTheBudgetAndReturnToTheBaselineWhenAllLeave) {
    ASSERT_NO_FATAL_FAILURE(fill());
    const ServerCounts full = read_counts(*control_);
    const long budget = baseline_ + long{kPeers} * (1 + kVectors);
    std::printf("[ scale    ] server fds: baseline %ld, with %d peers %ld (budget baseline + peers x (1 + %d) = %ld), "
                "limit %ld\n",
                baseline_, kPeers, full.fds_open, kVectors, budget, full.fd_limit);
    EXPECT_EQ(full.fds_open, budget) << "each peer costs the server its socket and its " << kVectors << " eventfd(s)";
    for (auto& p : crowd_) p.leave();
    EXPECT_TRUE(eventually([&] { return read_counts(*control_).peers == 0; })) << "the server missed a hang-up";
    long now = -1;
    EXPECT_TRUE(eventually([&] { return (now = read_counts(*control_).fds_open) == baseline_; }))
        << "server fds " << now << " after every peer left, baseline " << baseline_;
}

}  // namespace
}  // namespace memdomain::test
