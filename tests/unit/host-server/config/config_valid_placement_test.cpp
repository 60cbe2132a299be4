// The placement and lifetime keys of a domain parse into the model: grace in
// each unit, contiguous, and vaddr in its spellings and at the edges of what
// its segments allow (alignment to the largest page, the end of user space).
// Their malformed inputs are rows of config_errors_test.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "config/config_parser.h"

namespace memdomain::config {
namespace {

Config parse_ok(const std::string& text) {
    auto r = parse_config(std::string_view(text), "test.conf");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? std::move(r).value() : Config{};
}

const std::string kOneSegment = "size { huge 4K = 1MB }";

TEST(ConfigValidPlacement, GraceIsReadInEachUnitAsMilliseconds) {
    const std::pair<const char*, std::uint64_t> graces[] = {
        {"500ms", 500},      {"30s", 30000},     {"2m", 120000},           {"1h", 3600000},
        {"0ms", 0},          {"0s", 0},          {"0h", 0},                {"1ms", 1},
        {"24h", 86400000},   {"1440m", 86400000}, {"86400s", 86400000},    {"86400000ms", 86400000},
        {"007s", 7000}};
    for (const auto& [text, ms] : graces) {
        auto c = parse_ok(std::string("memdomain A { policy = dynamic grace = ") + text + " " + kOneSegment + " }");
        ASSERT_EQ(c.domains.size(), 1u) << text;
        EXPECT_EQ(c.domains[0].grace_ms, ms) << text;
    }
}

TEST(ConfigValidPlacement, GraceIsAcceptedOnAStaticDomainToo) {
    auto c = parse_ok("memdomain A { grace = 5s " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].policy, DomainPolicy::Static);
    EXPECT_EQ(c.domains[0].grace_ms, 5000u);
}

TEST(ConfigValidPlacement, ContiguousYesAndNo) {
    auto c = parse_ok("memdomain A { contiguous = yes " + kOneSegment + " } memdomain B { contiguous = no " +
                      kOneSegment + " } memdomain C { " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 3u);
    EXPECT_TRUE(c.domains[0].contiguous);
    EXPECT_FALSE(c.domains[1].contiguous);
    EXPECT_FALSE(c.domains[2].contiguous);
}

TEST(ConfigValidPlacement, VaddrSpellingsGiveTheSameAddress) {
    for (const char* text : {"0x7f0000000000", "0x7F0000000000", "0x00007f0000000000"}) {
        auto c = parse_ok(std::string("memdomain A { vaddr = ") + text + " size { huge 2M = 2M } }");
        ASSERT_EQ(c.domains.size(), 1u) << text;
        EXPECT_EQ(c.domains[0].vaddr, std::optional<std::uint64_t>(0x7f0000000000)) << text;
    }
}

TEST(ConfigValidPlacement, VaddrOn4KSegmentsNeedsOnly4KAlignment) {
    auto c = parse_ok("memdomain A { vaddr = 0x1000 size { huge 4K = 1M huge 4K = 16K } }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].vaddr, std::optional<std::uint64_t>(0x1000));
}

TEST(ConfigValidPlacement, VaddrAlignedToTheLargestPageOfMixedSegments) {
    auto c = parse_ok("memdomain A {\n  size {\n    huge 4K = 16K\n    huge 2M = 4M\n    huge 1G = 1G\n  }\n"
                      "  vaddr = 0x7f0040000000\n}\n");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].vaddr, std::optional<std::uint64_t>(0x7f0040000000));
}

TEST(ConfigValidPlacement, VaddrDomainMayEndExactlyAtTheLastUserPage) {
    // 1M of 4K pages from 0x7fffffeff000 ends at 0x7ffffffff000 (TASK_SIZE).
    auto c = parse_ok("memdomain A { vaddr = 0x7fffffeff000 " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].vaddr, std::optional<std::uint64_t>(0x7fffffeff000));
    // With a 2M segment after a 16K one, the 2M starts at the next 2M
    // boundary: 4M in all, so 0x7fffffa00000 is the highest 2M-aligned fit.
    auto padded = parse_ok("memdomain A { vaddr = 0x7fffffa00000 size { huge 4K = 16K huge 2M = 2M } }");
    ASSERT_EQ(padded.domains.size(), 1u);
}

TEST(ConfigValidPlacement, VaddrBelongsToItsOwnDomainOnly) {
    auto c = parse_ok("memdomain A { vaddr = 0x200000 size { huge 2M = 2M } } memdomain B { " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 2u);
    EXPECT_TRUE(c.domains[0].vaddr.has_value());
    EXPECT_FALSE(c.domains[1].vaddr.has_value());
}

}  // namespace
}  // namespace memdomain::config
