// NumaTopology: reading a fake sysfs tree (non-contiguous node ids, a
// memory-only node, non-node entries), the no-NUMA fallback, bad files, and
// the real host through sysfs and libnuma.
#include "placement/numa_topology.h"

#include <gtest/gtest.h>

#include "fake_files.h"

using namespace memdomain::placement;
using memdomain::placement::fakes::TempDir;

TEST(NumaTopology, ReadsFakeSysfsWithHolesAndMemoryOnlyNode) {
    TempDir dir;
    fakes::make_fake_sysfs(dir.path());
    auto t = NumaTopology::from_sysfs(dir.path());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->node_ids(), (std::vector<int>{0, 1, 3, 4}));
    EXPECT_EQ(t->nodes.at(0).to_string(), "0-3");
    EXPECT_EQ(t->nodes.at(1).to_string(), "4-7");
    EXPECT_EQ(t->nodes.at(3).to_string(), "8-11,16");
    EXPECT_TRUE(t->nodes.at(4).empty()) << "node4 has memory only";
    EXPECT_EQ(t->all_cpus().to_string(), "0-11,16");
    EXPECT_EQ(t->node_of_cpu(16), 3);
    EXPECT_EQ(t->node_of_cpu(5), 1);
    EXPECT_EQ(t->node_of_cpu(12), -1);
    EXPECT_EQ(t->to_string(), "node0=0-3 node1=4-7 node3=8-11,16 node4=");
}

TEST(NumaTopology, WithoutNodeDirectoryIsOneNodeWithOnlineCpus) {
    TempDir dir;
    fakes::write_file(dir.path(), "devices/system/cpu/online", "0-5,8\n");
    auto t = NumaTopology::from_sysfs(dir.path());
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->node_ids(), (std::vector<int>{0}));
    EXPECT_EQ(t->nodes.at(0).to_string(), "0-5,8");
}

TEST(NumaTopology, EmptyRootIsAnErrorNamingTheFile) {
    TempDir dir;
    auto t = NumaTopology::from_sysfs(dir.path());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, ENOENT);
    EXPECT_NE(t.error().message.find("devices/system/cpu/online"), std::string::npos) << t.error().message;
}

TEST(NumaTopology, BadCpulistIsAnErrorNamingTheFile) {
    TempDir dir;
    fakes::make_fake_sysfs(dir.path());
    fakes::write_file(dir.path(), "devices/system/node/node1/cpulist", "4-x\n");
    auto t = NumaTopology::from_sysfs(dir.path());
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().sys, EINVAL);
    EXPECT_NE(t.error().message.find("node1/cpulist"), std::string::npos) << t.error().message;
}

TEST(NumaTopology, RealSysfsHasNodeZeroWithCpuZero) {
    auto t = NumaTopology::from_sysfs();
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE(t->nodes.count(0)) << t->to_string();
    EXPECT_TRUE(t->nodes.at(0).contains(0)) << t->to_string();
}

TEST(NumaTopology, LibnumaHasNodeZeroWithCpuZero) {
    auto t = NumaTopology::from_libnuma();
    ASSERT_TRUE(t) << t.error().message;
    ASSERT_TRUE(t->nodes.count(0)) << t->to_string();
    EXPECT_TRUE(t->nodes.at(0).contains(0)) << t->to_string();
}

TEST(NumaTopology, LibnumaAndSysfsAgreeOnThisHost) {
    auto a = NumaTopology::from_libnuma();
    auto b = NumaTopology::from_sysfs();
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(b) << b.error().message;
    EXPECT_EQ(a->to_string(), b->to_string());
}
