// vaddr against a real memdomaind: every client maps segment 0 exactly at
// the configured address and segment 1 after it, rounded up to its page
// size, so pointers stored in the domain mean the same in every process; a
// client that already uses that range gets EEXIST naming it (and nothing of
// the domain stays mapped); memdomainctl shows the address.
#include <gtest/gtest.h>

#include <cstring>
#include <regex>

#include "ctl_runner.h"
#include "memdomain/common/sizes.h"
#include "memdomain/domain.h"
#include "memdomain/sys/memory.h"
#include "policy_support.h"

namespace memdomain::test {
namespace {

// Far from the heap (low) and from where Linux puts mmaps (near 2^47).
constexpr std::uint64_t kVaddr = 0x5a0000000000;

const std::string kPlaced = R"(
memdomain Placed {
    vaddr = 0x5a0000000000
    size {
        huge 4K = 64K R/W
        huge 2M = 2MB R/W
    }
}
)";

// A 4 KiB mapping of a memfd at exactly `at` (MAP_FIXED_NOREPLACE), or an
// invalid one when the address is taken.
sys::Mapping occupy(std::uint64_t at) {
    auto fd = sys::memfd_create("occupier", 4 * KiB);
    if (!fd || !sys::ftruncate(fd->get(), 4 * KiB)) return {};
    auto m = sys::map_shared(fd->get(), 4 * KiB, sys::Protection::ReadOnly, 0, reinterpret_cast<void*>(at));
    return m ? std::move(m).value() : sys::Mapping{};
}

class Vaddr : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto why = pool_short_reason(1); !why.empty()) GTEST_SKIP() << why;
        // The whole domain range must be free in this process to begin with.
        for (std::uint64_t at = kVaddr; at < kVaddr + 4 * MiB; at += 2 * MiB)
            if (!occupy(at).valid()) GTEST_SKIP() << hex(at) << " is already used in this process";
        server_.emplace(kPlaced);
        ASSERT_TRUE(server_->ok()) << server_->start_error();
    }
    std::optional<Server> server_;
};

TEST_F(Vaddr, SegmentZeroIsMappedThereAndSegmentOneAfterItRoundedToItsPageSize) {
    auto d = Domain::open("Placed", socket_options(*server_));
    ASSERT_TRUE(d) << d.error().message;
    ASSERT_EQ(d->segments().size(), 2u);
    const auto& s = d->segments();
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(s[0].base), kVaddr);
    EXPECT_EQ(s[0].map_address, kVaddr);
    // 64K of 4K pages end at +64K; the 2M segment starts at the next 2M boundary.
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(s[1].base), kVaddr + 2 * MiB);
    EXPECT_EQ(s[1].map_address, kVaddr + 2 * MiB);

    // Another process maps it at the same addresses, so a pointer written
    // by one is valid in the other.
    AgentClient a(server_->socket_dir() + "/a.log");
    a.ok("open Placed " + server_->socket_dir());
    auto f0 = a.fields("seg 0"), f1 = a.fields("seg 1");
    EXPECT_EQ(f0["base"], hex(kVaddr));
    EXPECT_EQ(f1["base"], hex(kVaddr + 2 * MiB));
    const std::uint64_t pointer = reinterpret_cast<std::uint64_t>(s[1].data) + 100;
    std::memcpy(s[0].data, &pointer, sizeof pointer);
    std::strcpy(reinterpret_cast<char*>(s[1].data) + 100, "pointed-at");
    std::uint64_t seen = 0;
    const std::string raw = a.ok("seg_read 0 0 8");
    ASSERT_EQ(raw.size(), 8u);
    std::memcpy(&seen, raw.data(), 8);
    EXPECT_EQ(seen, pointer);
    const std::uint64_t data1 = parse_hex(f1["base"]) + std::stoull(f1["data_off"]);
    EXPECT_EQ(a.ok("seg_read 1 " + std::to_string(seen - data1) + " 10"), "pointed-at");
}

TEST_F(Vaddr, SomethingAlreadyMappedAtSegmentZeroIsEexistNamingTheRange) {
    sys::Mapping other = occupy(kVaddr);
    ASSERT_TRUE(other.valid());
    auto d = Domain::open("Placed", socket_options(*server_));
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EEXIST) << d.error().message;
    const std::string& msg = d.error().message;
    EXPECT_NE(msg.find("Placed"), std::string::npos) << msg;
    EXPECT_NE(msg.find(hex(kVaddr) + "-" + hex(kVaddr + 64 * KiB)), std::string::npos) << msg;
    EXPECT_NE(msg.find("something else is mapped there"), std::string::npos) << msg;
    // Our mapping is untouched, and the server lets go of the failed attach.
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(other.data()), kVaddr);
    EXPECT_TRUE(eventually([&] { return show(*server_, "Placed").at("instances")[0].at("peers") == 0; }))
        << show(*server_, "Placed").dump(2);
}

TEST_F(Vaddr, SomethingMappedAtSegmentOneIsEexistAndSegmentZeroIsNotLeftMapped) {
    sys::Mapping other = occupy(kVaddr + 2 * MiB);
    ASSERT_TRUE(other.valid());
    auto d = Domain::open("Placed", socket_options(*server_));
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().sys, EEXIST) << d.error().message;
    EXPECT_NE(d.error().message.find("segment 1"), std::string::npos) << d.error().message;
    EXPECT_NE(d.error().message.find(hex(kVaddr + 2 * MiB) + "-" + hex(kVaddr + 4 * MiB)), std::string::npos)
        << d.error().message;
    EXPECT_TRUE(occupy(kVaddr).valid()) << "segment 0 stayed mapped after the failed open";
    // And once the range is free, the same process attaches.
    other.reset();
    auto again = Domain::open("Placed", socket_options(*server_));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(reinterpret_cast<std::uint64_t>(again->segments()[1].base), kVaddr + 2 * MiB);
}

TEST_F(Vaddr, MemdomainctlShowsTheAddress) {
    auto json_run = memdomainctl({"--socket-dir", server_->socket_dir(), "--json", "show", "Placed"});
    ASSERT_EQ(json_run.exit_code, 0) << json_run.output;
    auto j = nlohmann::json::parse(json_run.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << json_run.output;
    EXPECT_EQ(j.at("vaddr"), kVaddr);
    const auto& segs = j.at("instances").at(0).at("segments");
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].at("map_address"), kVaddr);
    EXPECT_EQ(segs[1].at("map_address"), kVaddr + 2 * MiB);

    auto table = memdomainctl({"--socket-dir", server_->socket_dir(), "show", "Placed"});
    ASSERT_EQ(table.exit_code, 0) << table.output;
    EXPECT_TRUE(std::regex_search(table.output, std::regex("vaddr: 0x0*5a0000000000\n"))) << table.output;
}

}  // namespace
}  // namespace memdomain::test
