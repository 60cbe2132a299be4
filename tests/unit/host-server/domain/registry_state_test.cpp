// The registry's record in the fd store: store names, state names with
// sequence numbers, and which state wins when a crash left two (a new state
// is stored before the old one is dropped, so there may be both, never none).
#include <gtest/gtest.h>

#include "domain/registry_state.h"
#include "domain/store_names.h"
#include "memdomain/sys/memory.h"

namespace memdomain::server {
namespace {

TEST(StoreNames, SegmentNameRoundTrips) {
    const std::string n = format_store_name(0x0123456789abcdefULL, 3, "MainMem");
    EXPECT_EQ(n, "md.0123456789abcdef.3.MainMem");
    auto p = parse_store_name(n);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->generation, 0x0123456789abcdefULL);
    EXPECT_EQ(p->index, 3u);
    EXPECT_EQ(p->domain, "MainMem");
}

TEST(StoreNames, MalformedSegmentNamesAreRefused) {
    for (const char* n : {"md.0123456789abcdeX.0.A", "md.0123456789abcdef..A", "md.0123456789abcdef.123.A",
                          "md.0123456789abcdef.0.", "md.0123456789abcdef.0.a/b", "xx.0123456789abcdef.0.A", "md.state"})
        EXPECT_FALSE(parse_store_name(n)) << n;
}

TEST(StoreNames, StateNamesCarryASequenceAndTheOldNameReadsAsZero) {
    EXPECT_EQ(format_state_name(0x2a), "md.state.000000000000002a");
    EXPECT_EQ(parse_state_name("md.state.000000000000002a"), std::optional<std::uint64_t>(0x2a));
    EXPECT_EQ(parse_state_name("md.state"), std::optional<std::uint64_t>(0));
    EXPECT_FALSE(parse_state_name("md.state.2a"));
    EXPECT_FALSE(parse_state_name("md.state.00000000000000zz"));
    EXPECT_FALSE(parse_state_name("md.0123456789abcdef.0.A"));
}

persist::InheritedFd stored(const std::string& name, const nlohmann::json& state) {
    auto fd = state_memfd(state);
    EXPECT_TRUE(fd) << fd.error().message;
    return persist::InheritedFd{name, std::move(fd).value()};
}

TEST(RegistryState, TheNewestOfTwoStatesWinsAndTheOlderIsStale) {
    std::vector<persist::InheritedFd> in;
    in.push_back(stored(format_state_name(7), {{"v", 1}, {"runtime", {{"A", "old"}}}}));
    in.push_back(stored(format_state_name(8), {{"v", 1}, {"runtime", {{"A", "new"}}}}));
    in.push_back(stored("md.0123456789abcdef.0.A", nlohmann::json::object()));  // a segment: not a state
    auto s = read_stored_state(in);
    EXPECT_EQ(s.sequence, 8u);
    EXPECT_EQ(s.name, format_state_name(8));
    EXPECT_EQ(s.state["runtime"]["A"], "new");
    ASSERT_EQ(s.stale_names.size(), 1u);
    EXPECT_EQ(s.stale_names[0], format_state_name(7));
}

TEST(RegistryState, AnUnreadableNewerStateLosesToAReadableOlderOne) {
    std::vector<persist::InheritedFd> in;
    in.push_back(stored(format_state_name(3), {{"v", 1}, {"runtime", {{"A", "kept"}}}}));
    auto garbage = sys::memfd_create("garbage", 4096);
    ASSERT_TRUE(garbage);
    ASSERT_TRUE(sys::ftruncate(garbage->get(), 5));
    in.push_back(persist::InheritedFd{format_state_name(4), std::move(garbage).value()});  // five NUL bytes
    auto s = read_stored_state(in);
    EXPECT_EQ(s.sequence, 3u);
    EXPECT_EQ(s.state["runtime"]["A"], "kept");
    EXPECT_EQ(s.stale_names, std::vector<std::string>{format_state_name(4)});
}

TEST(RegistryState, NoStateIsAnEmptyObjectAtSequenceZero) {
    auto s = read_stored_state({});
    EXPECT_TRUE(s.state.is_object());
    EXPECT_TRUE(s.state.empty());
    EXPECT_EQ(s.sequence, 0u);
    EXPECT_TRUE(s.name.empty());
}

TEST(RegistryState, SegmentSpecRoundTripsAndAnInvalidOneIsRefused) {
    SegmentSpec spec;
    spec.domain = "MainMem";
    spec.size = 1 << 20;
    spec.generation = 42;
    auto back = spec_from_json(spec_to_json(spec));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->domain, "MainMem");
    EXPECT_EQ(back->size, spec.size);
    EXPECT_EQ(back->generation, 42u);
    auto j = spec_to_json(spec);
    j["max_peers"] = 5000;
    EXPECT_FALSE(spec_from_json(j));
    j = spec_to_json(spec);
    j.erase("size");
    EXPECT_FALSE(spec_from_json(j));
}

}  // namespace
}  // namespace memdomain::server
