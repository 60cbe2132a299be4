// memdomain-vfio-bind's command line (Boost.Program_options, like every
// other tool): help, a bad option, and what it says about a sysfs tree
// without ivshmem devices. The binary is the static one the test guest runs.
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include "process.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

struct ToolRun {
    int exit_code = -1;
    std::string output;
};

ToolRun vfio_bind(const TempDir& dir, std::vector<std::string> args) {
    args.insert(args.begin(), MEMDOMAIN_VFIO_BIND_PATH);
    Process p(args, Process::Options{dir.file("out.log")});
    auto st = p.wait(10s);
    ToolRun r;
    if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
    r.output = p.log();
    return r;
}

TEST(VfioBindCommandLine, HelpListsTheOptionsAndExitsZero) {
    TempDir dir;
    const ToolRun r = vfio_bind(dir, {"--help"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("Usage: memdomain-vfio-bind [--sysfs-root DIR] [PCI-ADDRESS...]"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("--sysfs-root"), std::string::npos) << r.output;
}

TEST(VfioBindCommandLine, AnUnknownOptionIsAUsageErrorNamingIt) {
    TempDir dir;
    const ToolRun r = vfio_bind(dir, {"--frobnicate"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("frobnicate"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("--help"), std::string::npos) << r.output;
}

TEST(VfioBindCommandLine, ASysfsTreeWithoutIvshmemDevicesIsAnError) {
    TempDir dir;
    ASSERT_EQ(::mkdir(dir.file("sys").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(dir.file("sys/bus").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(dir.file("sys/bus/pci").c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(dir.file("sys/bus/pci/devices").c_str(), 0755), 0);
    const ToolRun r = vfio_bind(dir, {"--sysfs-root", dir.file("sys")});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("no ivshmem device under " + dir.file("sys")), std::string::npos) << r.output;
}

}  // namespace
}  // namespace memdomain::test
