// A guest facing a corrupted segment header (vm-images/scenarios/
// corrupt-header.sh): the test process attaches as a host peer and writes
// garbage over the header's magic and domain name through its mapping of the
// memfd, before the VM boots. memdomain-info in the guest must say what is
// wrong and exit normally; the guest must get to its poweroff.
#include <cstring>

#include "vm_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

TEST_F(VmTest, GuestMemdomainInfoReportsCorruptedHeaderAndExitsCleanly) {
    if (!image_has("memdomain-info")) GTEST_SKIP() << "the guest image has no memdomain-info (target not built)";
    auto host = attach_host();
    ASSERT_TRUE(host) << host.error().message << "\n" << server_->log();
    ASSERT_FALSE(host->segments().empty());
    std::byte* base = host->segments()[0].base;
    std::memcpy(base + offsetof(SegmentHeader, magic), "GARBAGE!", 8);
    std::memset(base + offsetof(SegmentHeader, domain_name), 0xA5, sizeof(SegmentHeader::domain_name));
    ASSERT_FALSE(host->header()) << "the host still reads a valid header: the corruption did not land";

    auto vm = boot("corrupt", "corrupt-header");
    ASSERT_TRUE(vm->wait_exit(90s)) << "guest did not power off\n" << vm->describe();
    report_times(*vm);
    ASSERT_TRUE(passed(*vm));
    auto r = vm->report();
    EXPECT_TRUE(r.get("info_status") == "1" || r.get("info_status") == "2") << "status " << r.get("info_status");
    const std::string error = r.get("info_error");
    EXPECT_NE(error.find("invalid segment header"), std::string::npos) << error;
    EXPECT_NE(error.find("magic"), std::string::npos) << error;
}

}  // namespace
}  // namespace memdomain::test
