// The QEMU arguments and libvirt element the control plane hands out: the
// same text as the shipped, tested qemu-config files, escaped where QEMU and
// XML need it.
#include <gtest/gtest.h>

#include <sstream>

#include "control/vm_attach.h"
#include "memdomain/common/sizes.h"
#include "process.h"

namespace memdomain::control {
namespace {

// A shipped qemu-config file: one argument per line.
std::vector<std::string> shipped_args(const std::string& file) {
    std::istringstream in(test::read_file(std::string(MEMDOMAIN_QEMU_CONFIG_DIR) + "/" + file));
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

// The example domain the shipped files are rendered for.
VmAttachSpec main_mem() {
    return {"MainMem", "/run/memdomain/MainMem.sock", "/run/memdomain/ns/MainMem", 64 * MiB, 2};
}

TEST(VmAttach, DoorbellArgsEqualTheShippedDoorbellArgsFile) {
    const auto shipped = shipped_args("doorbell.args");
    ASSERT_FALSE(shipped.empty());
    EXPECT_EQ(qemu_doorbell_args(main_mem()), shipped);
}

TEST(VmAttach, ReadonlyArgsEqualTheShippedReadonlyPlainFile) {
    const auto shipped = shipped_args("readonly-plain.args");
    ASSERT_FALSE(shipped.empty());
    EXPECT_EQ(qemu_readonly_args(main_mem()), shipped);
}

TEST(VmAttach, DoorbellArgsCarryTheDomainsVectorCount) {
    auto s = main_mem();
    s.vectors = 7;
    EXPECT_EQ(qemu_doorbell_args(s).back(), "ivshmem-doorbell,chardev=md0,vectors=7");
}

TEST(VmAttach, CommaInAPathIsDoubledForQemu) {
    auto s = main_mem();
    s.socket_path = "/run/a,b/X.sock";
    s.namespace_path = "/run/a,b/ns/X";
    EXPECT_EQ(qemu_doorbell_args(s)[1], "socket,id=md0,path=/run/a,,b/X.sock");
    EXPECT_NE(qemu_readonly_args(s)[1].find("mem-path=/run/a,,b/ns/X,size="), std::string::npos);
}

TEST(VmAttach, ReadonlySizeIsWrittenExactlyInQemuUnits) {
    auto s = main_mem();
    s.size = 64 * KiB;
    EXPECT_NE(qemu_readonly_args(s)[1].find(",size=64K,"), std::string::npos);
    s.size = 1 * GiB;
    EXPECT_NE(qemu_readonly_args(s)[1].find(",size=1G,"), std::string::npos);
}

// No <size>: the server's memory fd sets it, and libvirt 9.0 refuses a size
// on an ivshmem-doorbell ("does not support size setting").
TEST(VmAttach, LibvirtXmlIsTheShmemElementWithoutASize) {
    EXPECT_EQ(libvirt_shmem_xml(main_mem()),
              "<shmem name='MainMem'><model type='ivshmem-doorbell'/>"
              "<server path='/run/memdomain/MainMem.sock'/><msi vectors='2' ioeventfd='on'/></shmem>");
}

TEST(VmAttach, LibvirtXmlEscapesQuotesAndAmpersandsInThePath) {
    auto s = main_mem();
    s.socket_path = "/run/it's&<x>.sock";
    EXPECT_NE(libvirt_shmem_xml(s).find("<server path='/run/it&apos;s&amp;&lt;x&gt;.sock'/>"), std::string::npos);
}

}  // namespace
}  // namespace memdomain::control
