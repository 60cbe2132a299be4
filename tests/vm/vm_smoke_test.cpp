// The plumbing under every other VM test, with no memdomain code in the
// guest: the kernel boots from vmlinux, /init loads the vfio modules, the
// ivshmem-doorbell device that memdomaind's socket feeds shows up with a
// BAR2 the size of the domain, and binds to vfio-pci.
#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

TEST_F(VmTest, SmokeGuestSeesDomainSizedIvshmemBarAndBindsItToVfioPci) {
    auto vm = boot("smoke", "smoke");
    ASSERT_TRUE(vm->wait_exit(90s)) << "guest did not power off\n" << vm->describe();
    report_times(*vm);
    ASSERT_TRUE(passed(*vm));
    auto r = vm->report();
    EXPECT_EQ(r.get("ivshmem_count"), "1");
    EXPECT_EQ(r.get("bar2_size"), "1048576") << "BAR2 should be the 1 MiB segment";
    EXPECT_NE(r.get("bar1_size"), "0") << "ivshmem-doorbell with vectors=2 has an MSI-X table in BAR1";
    EXPECT_EQ(r.get("driver"), "vfio-pci");
}

}  // namespace
}  // namespace memdomain::test
