// A read-only VM through libvirt: its XML carries the <qemu:commandline>
// that `memdomainctl libvirt-xml NAME --vm VM` prints (ivshmem-plain on a
// memory-backend-file with readonly=on at memdomaind's namespace entry).
// The hook checks the backend is read-only and leases the domain R/O; the
// guest (vm-images/scenarios/readonly-plain.sh) reads the host's word live,
// tries to overwrite it through /dev/mem, reads it back unchanged, and opens
// the domain by name as a read-only observer (no peer id, no doorbells); the
// host sees its word unchanged too.
#include "libvirt_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

const std::string kConfig = R"(
memdomain Watched {
    vectors = 1
    size {
        huge 4K = 1MB R/W
    }
    access {
        user root = R/W
        vm lv-probe = R/O
    }
}
)";

constexpr std::uint64_t kWord = 0x0123456789abcdefULL;
constexpr std::uint64_t kPoke = 0x5757575757575757ULL;
constexpr std::size_t kWordOffset = 4096;  // into the data area

class LibvirtReadOnly : public LibvirtTest {};

TEST_F(LibvirtReadOnly, AReadOnlyVmReadsTheDataAndCannotChangeIt) {
    ASSERT_NO_FATAL_FAILURE(start_server(kConfig));
    auto host = attach_host("Watched");
    ASSERT_TRUE(host) << host.error().message;
    auto* word = reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(host->data()) + kWordOffset);
    std::atomic_ref<std::uint64_t>(*word).store(kWord);
    const auto& seg = host->segments().at(0);
    const std::size_t bar_offset = static_cast<std::size_t>(seg.data - seg.base) + kWordOffset;

    // What a user pastes: memdomainctl's answer for this VM.
    const CommandResult xml = ctl({"libvirt-xml", "Watched", "--vm", "lv-probe"});
    ASSERT_EQ(xml.exit_code, 0) << xml.output;
    ASSERT_NE(xml.output.find("readonly"), std::string::npos) << xml.output;
    char poke[24];
    std::snprintf(poke, sizeof poke, "0x%016llx", static_cast<unsigned long long>(kPoke));
    GuestSpec spec{"lv-probe", "readonly-plain",
                   {"domain=Watched", "offset=" + std::to_string(bar_offset), std::string("poke=") + poke}, "",
                   xml.output};
    auto probe = guest(spec);
    const CommandResult started = probe->create();
    ASSERT_EQ(started.exit_code, 0) << started.output << logs();
    EXPECT_EQ(leases("Watched"), (std::map<std::string, std::string>{{"lv-probe", "R/O"}}));
    ASSERT_TRUE(probe->wait_gone(120s)) << probe->describe();
    const SerialReport r = probe->report();
    ASSERT_TRUE(r.passed()) << probe->describe();

    EXPECT_EQ(r.get("bar1_size"), "0") << "ivshmem-plain: no MSI-X table, no doorbells";
    EXPECT_EQ(std::strtoull(r.get("ro_read").c_str(), nullptr, 16), kWord) << "the guest reads the host's data";
    EXPECT_EQ(std::strtoull(r.get("ro_after_poke").c_str(), nullptr, 16), kWord)
        << "the guest's write through a writable mapping of the BAR did not land\n" << probe->describe();
    EXPECT_EQ(std::atomic_ref<std::uint64_t>(*word).load(), kWord) << "the host sees its word unchanged";
    EXPECT_EQ(r.get("info_domain"), "Watched") << "the guest opened the domain by name\n" << probe->describe();
    EXPECT_EQ(r.get("info_access"), "R/O") << probe->describe();
    EXPECT_EQ(r.get("info_role"), "observer") << "libmemdomain knows a plain device: no peer id, no doorbells";
    EXPECT_EQ(r.get("info_self"), "none");
    EXPECT_TRUE(peer_pids("Watched").size() == 1) << "the read-only VM never connects to the socket";
    EXPECT_TRUE(eventually([&] { return leases("Watched").empty(); }, 10s)) << "released at the VM's end";
}

}  // namespace
}  // namespace memdomain::test
