// One memdomaind serving 1000 small domains (16 KiB each in 4K pages: the
// header, 64 mailbox lines and one data page), started from one config: it
// reports READY (the start-up time goes to the test log, not into an
// assertion), memdomainctl lists all 1000, peers attach to a domain in the
// middle and to the last one, and each domain costs the server exactly 3
// descriptors while nobody is attached: its listening socket, its memfd and
// the read-only fd behind its namespace entry.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <set>
#include <vector>

#include "ctl_runner.h"
#include "host_peer.h"
#include "memdomain/common/sizes.h"
#include "server_counts.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using nlohmann::json;

constexpr int kDomains = 1000;
constexpr long kFdsPerDomain = 3;  // listener + memfd + read-only fd
constexpr unsigned kVectors = 1;

std::string name_of(int i) { return "d" + std::to_string(i); }

std::string many_domains(int n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += domain_config(name_of(i), "16KB", kVectors);
    return text;
}

// A started server, how long it took to READY, and its descriptor count.
struct Started {
    std::unique_ptr<Server> server;
    double ms = 0;
    long fds = -1;
};

Started start(int domains) {
    Started s;
    const auto t0 = std::chrono::steady_clock::now();
    s.server = std::make_unique<Server>(many_domains(domains));
    s.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (s.server->ok()) s.fds = count_fds(s.server->pid());
    return s;
}

TEST(ManyDomains, AThousandDomainsStartListAttachAndCostThreeFdsEach) {
    Started one = start(1);
    ASSERT_TRUE(one.server->ok()) << one.server->start_error();
    Started many = start(kDomains);
    ASSERT_TRUE(many.server->ok()) << many.server->start_error().substr(0, 4000);
    Server& server = *many.server;
    std::printf("[ scale    ] %d domains of 16K: READY after %.0f ms (1 domain: %.0f ms), server fds %ld "
                "(1 domain: %ld)\n",
                kDomains, many.ms, one.ms, many.fds, one.fds);
    EXPECT_EQ(many.fds - one.fds, (kDomains - 1) * kFdsPerDomain)
        << "each further domain: listener + memfd + read-only fd";
    one.server.reset();

    auto list = memdomainctl({"--socket-dir", server.socket_dir(), "--json", "list"});
    ASSERT_EQ(list.exit_code, 0) << list.output.substr(0, 2000);
    const json j = json::parse(list.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << list.output.substr(0, 2000);
    ASSERT_EQ(j.at("domains").size(), std::size_t{kDomains});
    std::set<std::string> names;
    for (const auto& d : j.at("domains")) names.insert(d.at("name").get<std::string>());
    EXPECT_EQ(names.size(), std::size_t{kDomains});
    EXPECT_EQ(names.count(name_of(0)), 1u);
    EXPECT_EQ(names.count(name_of(kDomains - 1)), 1u);

    auto c = ControlConnection::connect(server.socket_dir());
    ASSERT_TRUE(c) << c.error().message;
    const ServerCounts before = read_counts(*c);
    EXPECT_EQ(before.domains, kDomains);
    std::vector<HostPeer> peers;
    for (const int i : {kDomains / 2, kDomains - 1}) {
        auto p = HostPeer::connect(server.socket(name_of(i)));
        ASSERT_TRUE(p) << name_of(i) << ": " << p.error().message;
        EXPECT_EQ(header_domain_name(p->header()), name_of(i));
        EXPECT_EQ(p->header().segment_size, 16 * KiB);
        p->data()[0] = std::byte{7};
        peers.push_back(std::move(p).value());
        EXPECT_EQ(read_counts(*c).fds_open, before.fds_open + static_cast<long>(peers.size()) * (1 + long{kVectors}))
            << "a peer costs 1 + vectors";
        auto shown = memdomainctl({"--socket-dir", server.socket_dir(), "--json", "show", name_of(i)});
        ASSERT_EQ(shown.exit_code, 0) << shown.output;
        const json s = json::parse(shown.output, nullptr, false);
        ASSERT_FALSE(s.is_discarded()) << shown.output;
        EXPECT_EQ(s.at("instances").at(0).at("peers"), 1) << shown.output;
    }
    peers.clear();
    EXPECT_TRUE(eventually([&] { return read_counts(*c).fds_open == before.fds_open; }))
        << "both peers left: back to 3 fds per domain";
}

}  // namespace
}  // namespace memdomain::test
