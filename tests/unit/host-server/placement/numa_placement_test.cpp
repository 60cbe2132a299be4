// Node choice on the fake topology (node0=0-3 node1=4-7 node3=8-11,16,
// node4 memory only): a domain's nodes from its cpualias, a peer's node from
// its CPUs, and the errors; then process_cpus on real processes.
#include "placement/numa_placement.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <climits>

#include "fake_files.h"

using namespace memdomain::placement;
using memdomain::placement::fakes::TempDir;

namespace {

class FakeTopology : public ::testing::Test {
protected:
    void SetUp() override {
        fakes::make_fake_sysfs(dir_.path());
        auto t = NumaTopology::from_sysfs(dir_.path());
        ASSERT_TRUE(t) << t.error().message;
        topo_ = *t;
    }
    static CpuSet cpus(const char* text) {
        auto s = CpuSet::parse(text);
        EXPECT_TRUE(s) << s.error().message;
        return s ? *s : CpuSet();
    }
    TempDir dir_;
    NumaTopology topo_;
};

}  // namespace

TEST_F(FakeTopology, DomainNodesOfAllAreTheNodesWithCpus) {
    auto n = domain_nodes(topo_, cpus("all"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, (std::vector<int>{0, 1, 3})) << "memory-only node4 is never a domain node";
}

TEST_F(FakeTopology, DomainNodesAreThoseWithACpuOfTheAlias) {
    auto n = domain_nodes(topo_, cpus("4-9"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, (std::vector<int>{1, 3}));
    n = domain_nodes(topo_, cpus("16"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, (std::vector<int>{3}));
}

TEST_F(FakeTopology, DomainNodesIgnoreUnknownCpusWhenSomeMatch) {
    auto n = domain_nodes(topo_, cpus("2,40-41"));
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, (std::vector<int>{0}));
    EXPECT_EQ(cpus_on_no_node(topo_, cpus("2,40-41")).to_string(), "40-41");
    EXPECT_TRUE(cpus_on_no_node(topo_, cpus("all")).empty());
}

TEST_F(FakeTopology, DomainNodesErrorNamesCpusOnNoNode) {
    auto n = domain_nodes(topo_, cpus("12-15,40"));
    ASSERT_FALSE(n) << "got " << n->size() << " nodes";
    EXPECT_EQ(n.error().sys, EINVAL);
    EXPECT_NE(n.error().message.find("12-15,40"), std::string::npos) << n.error().message;
    EXPECT_NE(n.error().message.find("exist on no NUMA node"), std::string::npos) << n.error().message;
}

TEST_F(FakeTopology, PeerOnNodeOneGetsNodeOne) {
    auto node = node_for_cpus(topo_, {0, 1, 3}, cpus("5"));
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 1);
}

TEST_F(FakeTopology, PeerSpanningNodesGetsTheMajorityNode) {
    // node0 holds 3, node1 holds 4-7, node3 holds 8-9 and 16.
    auto node = node_for_cpus(topo_, {0, 1, 3}, cpus("3-9,16"));
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 1);
    node = node_for_cpus(topo_, {0, 1, 3}, cpus("3,7-11,16"));
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 3);
}

TEST_F(FakeTopology, TieGoesToLowestNode) {
    auto node = node_for_cpus(topo_, {3, 1, 0}, cpus("6-9"));
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 1);
}

TEST_F(FakeTopology, MajorityCountsOnlyDomainNodes) {
    // Most of the peer is on node0, but the domain lives on node1 only.
    auto node = node_for_cpus(topo_, {1}, cpus("0-3,4"));
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 1);
}

TEST_F(FakeTopology, PeerOutsideTheDomainNodesIsRefused) {
    auto dn = domain_nodes(topo_, cpus("4-7"));
    ASSERT_TRUE(dn) << dn.error().message;
    auto node = node_for_cpus(topo_, *dn, cpus("0-3"));
    ASSERT_FALSE(node) << "got node " << *node;
    EXPECT_EQ(node.error().sys, EACCES);
    EXPECT_NE(node.error().message.find("0-3"), std::string::npos) << node.error().message;
    EXPECT_NE(node.error().message.find("node 1 (CPUs 4-7)"), std::string::npos) << node.error().message;
}

TEST_F(FakeTopology, CallerMistakesAreEinval) {
    auto a = node_for_cpus(topo_, {}, cpus("0"));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().sys, EINVAL);
    auto b = node_for_cpus(topo_, {0}, CpuSet());
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().sys, EINVAL);
    auto c = node_for_cpus(topo_, {2}, cpus("0"));
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().sys, EINVAL);
    EXPECT_NE(c.error().message.find("node 2"), std::string::npos) << c.error().message;
}

TEST(ProcessCpus, OwnProcessMayRunSomewhere) {
    auto self = process_cpus(0);
    ASSERT_TRUE(self) << self.error().message;
    EXPECT_FALSE(self->empty());
    auto by_pid = process_cpus(::getpid());
    ASSERT_TRUE(by_pid) << by_pid.error().message;
    EXPECT_EQ(*by_pid, *self);
    EXPECT_LE(self->count(), static_cast<std::size_t>(::sysconf(_SC_NPROCESSORS_CONF)));
}

TEST(ProcessCpus, MissingProcessIsEsrchNamingThePid) {
    auto r = process_cpus(INT_MAX - 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, ESRCH);
    EXPECT_NE(r.error().message.find(std::to_string(INT_MAX - 1)), std::string::npos) << r.error().message;
}

TEST(ProcessCpus, OwnProcessIsPlacedOnNodeZeroOfThisHost) {
    auto t = NumaTopology::from_libnuma();
    ASSERT_TRUE(t) << t.error().message;
    auto self = process_cpus(0);
    ASSERT_TRUE(self) << self.error().message;
    auto dn = domain_nodes(*t, CpuSet::all());
    ASSERT_TRUE(dn) << dn.error().message;
    auto node = node_for_cpus(*t, *dn, *self);
    ASSERT_TRUE(node) << node.error().message;
    EXPECT_EQ(*node, 0) << "this host has one node";
}
