// type = numa against a real memdomaind: one instance per node, a client
// gets the instance of the node its CPU affinity is on (clients are
// md_peer_agent processes pinned with sched_setaffinity before they
// connect). With a fake two-node topology (--numa-sysfs-root: node0 = cpu 0,
// node1 = cpu 1; memory is then not bound) the choice is visible; with the
// machine's real topology the memory is checked with move_pages and
// get_mempolicy through a peer's own mapping.
#include <gtest/gtest.h>
#include <linux/mempolicy.h>
#include <sched.h>

#include <cstring>

#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "placement/numa_memory.h"
#include "placement/numa_topology.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

const std::string kNuma = R"(
memdomain Nu {
    type = numa
    cpualias = "all"
    size {
        huge 4K = 64K R/W
    }
}
)";

// Can this process (and so its children) run on CPUs 0 and 1?
std::string two_cpus_missing() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return std::string("sched_getaffinity: ") + std::strerror(errno);
    if (!CPU_ISSET(0, &set) || !CPU_ISSET(1, &set))
        return "[hardware] needs CPUs 0 and 1 in this process's affinity (a one-CPU machine has no second node to "
               "place a peer on)";
    return "";
}

class FakeTwoNodes : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto why = two_cpus_missing(); !why.empty()) GTEST_SKIP() << why;
        server_.emplace(kNuma, std::vector<std::string>{"--numa-sysfs-root", tree_.root()});
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    AgentClient pinned(int cpu, const std::string& log) {
        AgentClient a(server_->socket_dir() + "/" + log);
        a.ok("pin " + std::to_string(cpu));
        return a;
    }
    FakeNumaTree tree_{{{0, "0"}, {1, "1"}}};
    std::optional<Server> server_;
};

TEST_F(FakeTwoNodes, StaticDomainHasOneInstancePerNodeAtStartUp) {
    auto s = show(*server_, "Nu");
    ASSERT_TRUE(s.is_object());
    EXPECT_EQ(s.at("nodes"), nlohmann::json::array({0, 1}));
    auto n0 = instance(*server_, "Nu", "numa(node 0)");
    auto n1 = instance(*server_, "Nu", "numa(node 1)");
    ASSERT_TRUE(n0.is_object() && n1.is_object()) << s.dump(2);
    EXPECT_EQ(n0.at("node"), 0);
    EXPECT_EQ(n1.at("node"), 1);
    EXPECT_NE(n0.at("generation"), n1.at("generation"));
    EXPECT_EQ(n0.at("peers"), 0);
}

TEST_F(FakeTwoNodes, ClientsOnDifferentNodesGetTheirNodesInstance) {
    AgentClient a = pinned(0, "a.log"), b = pinned(1, "b.log");
    auto fa = a.fields("open Nu " + server_->socket_dir());
    auto fb = b.fields("open Nu " + server_->socket_dir());
    ASSERT_FALSE(fa["gen"].empty());
    EXPECT_NE(fa["gen"], fb["gen"]);
    auto sa = a.fields("seg 0"), sb = b.fields("seg 0");
    EXPECT_EQ(sa["node"], "0");
    EXPECT_EQ(sb["node"], "1");
    EXPECT_EQ(sa["kind"], "numa");
    EXPECT_EQ(hex(instance(*server_, "Nu", "numa(node 0)").at("generation").get<std::uint64_t>()), fa["gen"]);
    EXPECT_EQ(hex(instance(*server_, "Nu", "numa(node 1)").at("generation").get<std::uint64_t>()), fb["gen"]);
    // Different memory, too.
    a.ok("seg_write 0 0 node-zero");
    EXPECT_NE(b.ok("seg_read 0 0 9"), "node-zero");
}

TEST_F(FakeTwoNodes, TwoClientsOnTheSameNodeShareItsInstance) {
    AgentClient b = pinned(1, "b.log"), c = pinned(1, "c.log");
    auto fb = b.fields("open Nu " + server_->socket_dir());
    auto fc = c.fields("open Nu " + server_->socket_dir());
    ASSERT_FALSE(fb["gen"].empty());
    EXPECT_EQ(fb["gen"], fc["gen"]);
    EXPECT_EQ(c.fields("seg 0")["node"], "1");
    b.ok("seg_write 0 0 shared-on-node-1");
    EXPECT_EQ(c.ok("seg_read 0 0 16"), "shared-on-node-1");
    EXPECT_EQ(instance(*server_, "Nu", "numa(node 1)").at("peers"), 2);
    EXPECT_EQ(instance(*server_, "Nu", "numa(node 0)").at("peers"), 0);
}

// A client allowed on both CPUs has as many on each node: the tie goes to
// the lower node.
TEST_F(FakeTwoNodes, ClientSpanningBothNodesGetsTheLowerNode) {
    AgentClient a(server_->socket_dir() + "/a.log");  // not pinned: CPUs 0 and 1
    auto fa = a.fields("open Nu " + server_->socket_dir());
    EXPECT_EQ(a.fields("seg 0")["node"], "0");
    EXPECT_EQ(hex(instance(*server_, "Nu", "numa(node 0)").at("generation").get<std::uint64_t>()), fa["gen"]);
}

// Only node 1 is the domain's: a client that can run only on cpu 0 is
// refused (the library says EACCES), one on cpu 1 is served.
TEST(FakeTopology, ClientOutsideTheDomainsNodesIsRefused) {
    if (auto why = two_cpus_missing(); !why.empty()) GTEST_SKIP() << why;
    FakeNumaTree tree({{0, "0"}, {1, "1"}});
    Server server(R"(
memdomain Nu1 {
    type = numa
    cpualias = "1"
    size {
        huge 4K = 64K R/W
    }
}
)",
                  {"--numa-sysfs-root", tree.root()});
    ASSERT_TRUE(server.ok()) << server.start_error();
    EXPECT_EQ(show(server, "Nu1").at("nodes"), nlohmann::json::array({1}));
    EXPECT_EQ(instances(server, "Nu1").size(), 1u);
    AgentClient a(server.socket_dir() + "/a.log"), b(server.socket_dir() + "/b.log");
    a.ok("pin 0");
    b.ok("pin 1");
    const std::string refused = a.call("open Nu1 " + server.socket_dir());
    EXPECT_EQ(refused.rfind("err " + std::to_string(EACCES) + " ", 0), 0u) << refused;
    b.ok("open Nu1 " + server.socket_dir());
    EXPECT_EQ(b.fields("seg 0")["node"], "1");
    EXPECT_TRUE(eventually([&] { return server.log().find("refused pid " + std::to_string(a.pid())) != std::string::npos; }))
        << server.log();
}

// Dynamic: a node's instance is made when a client of that node attaches,
// with every segment from that node's instance.
TEST(FakeTopology, DynamicDomainCreatesOnlyTheAttachingNodesInstanceWithAllItsSegments) {
    if (auto why = two_cpus_missing(); !why.empty()) GTEST_SKIP() << why;
    FakeNumaTree tree({{0, "0"}, {1, "1"}});
    Server server(R"(
memdomain NuDy {
    type = numa
    policy = dynamic
    grace = 0ms
    size {
        huge 4K = 64K R/W
        huge 4K = 32K R/W
    }
}
)",
                  {"--numa-sysfs-root", tree.root()});
    ASSERT_TRUE(server.ok()) << server.start_error();
    EXPECT_TRUE(instances(server, "NuDy").empty());
    AgentClient b(server.socket_dir() + "/b.log");
    b.ok("pin 1");
    auto fb = b.fields("open NuDy " + server.socket_dir());
    ASSERT_EQ(fb["segments"], "2");
    EXPECT_EQ(b.fields("seg 0")["node"], "1");
    EXPECT_EQ(b.fields("seg 1")["node"], "1");
    auto inst = instances(server, "NuDy");
    ASSERT_EQ(inst.size(), 1u) << inst.dump(2);
    EXPECT_EQ(inst[0].at("key"), "numa(node 1)");
    EXPECT_EQ(hex(inst[0].at("generation").get<std::uint64_t>()), fb["gen"]);
    b.ok("close");
    EXPECT_TRUE(eventually([&] { return instances(server, "NuDy").empty(); })) << show(server, "NuDy").dump(2);
}

// The machine's own topology: memory is mbind()ed to the node before the
// server faults it. 4K (shmem) and 2M (hugetlb) segments.
const std::string kNumaReal = R"(
memdomain NuReal {
    type = numa
    cpualias = "all"
    size {
        huge 4K = 256K R/W
        huge 2M = 2MB R/W
    }
}
)";

TEST(RealTopology, StaticInstanceIsOnItsNodeAsSeenThroughAPeersMapping) {
    if (auto why = pool_short_reason(1); !why.empty()) GTEST_SKIP() << why;
    auto topo = placement::NumaTopology::from_libnuma();
    ASSERT_TRUE(topo) << topo.error().message;
    Server server(kNumaReal);
    ASSERT_TRUE(server.ok()) << server.start_error();
    // Every node with CPUs has its instance before anyone attaches.
    auto inst = instances(server, "NuReal");
    std::size_t cpu_nodes = 0;
    for (const auto& [id, cpus] : topo->nodes) cpu_nodes += cpus.empty() ? 0 : 1;
    EXPECT_EQ(inst.size(), cpu_nodes) << inst.dump(2);

    auto d = Domain::open("NuReal", socket_options(server));
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    const int node = d->segments()[0].numa_node;
    if (topo->nodes.size() == 1) {
        EXPECT_EQ(node, topo->nodes.begin()->first);
    }
    ASSERT_TRUE(instance(server, "NuReal", "numa(node " + std::to_string(node) + ")").is_object());
    for (const auto& s : d->segments()) {
        SCOPED_TRACE("segment " + std::to_string(s.index));
        EXPECT_EQ(s.numa_node, node);
        // Every page in our page tables (move_pages looks there): the data
        // written, the header area read.
        std::memset(s.data, 0x3c, s.data_size);
        volatile std::byte sink{};
        for (std::byte* p = s.base; p < s.data; p += 4 * KiB) sink = *p;
        (void)sink;
        auto where = placement::page_nodes(s.base, s.size, s.page_size);
        ASSERT_TRUE(where) << where.error().message;
        ASSERT_EQ(where->size(), s.size / s.page_size);
        for (std::size_t p = 0; p < where->size(); ++p) ASSERT_EQ((*where)[p], node) << "page " << p;
    }
    // shmem keeps the server's binding as a shared policy: every mapping of
    // the memfd, ours included, reports it.
    auto pol = placement::address_policy(d->segments()[0].data);
    ASSERT_TRUE(pol) << pol.error().message;
    EXPECT_EQ(pol->mode, MPOL_BIND);
    EXPECT_EQ(pol->nodes, std::vector<int>{node});
    // hugetlb keeps no shared policy (placement/numa_memory.h): our mapping
    // has the default policy; the pages are on the node because the server
    // faulted them in its own bound mapping, as checked above.
    auto hpol = placement::address_policy(d->segments()[1].data);
    ASSERT_TRUE(hpol) << hpol.error().message;
    EXPECT_EQ(hpol->mode, MPOL_DEFAULT);
}

}  // namespace
}  // namespace memdomain::test
