// parse_domain_text, the parser of a domain created at run time (the control
// plane's "create" verb): one memdomain block, checked by exactly the rules
// of a config file, and nothing else; errors are the same one-liners,
// "SOURCE:LINE:COL: ...".
#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/config_parser.h"

namespace memdomain::config {
namespace {

const std::string kOneDomain = "memdomain A { size { huge 4K = 1MB } }";

DomainConfig parse_ok(const std::string& text) {
    auto r = parse_domain_text(text, "create");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? std::move(r).value() : DomainConfig{};
}

TEST(ConfigDomainText, OneDomainGivesItsModelWithTheSourceName) {
    auto d = parse_ok(kOneDomain);
    EXPECT_EQ(d.name, "A");
    EXPECT_EQ(to_string(d.where), "create:1:11");
    ASSERT_EQ(d.segments.size(), 1u);
    EXPECT_EQ(d.segments[0].size, 1 * MiB);
    EXPECT_EQ(d.grace_ms, 30000u);
    EXPECT_FALSE(d.contiguous);
    EXPECT_FALSE(d.vaddr.has_value());
}

TEST(ConfigDomainText, BlanksAndCommentsAroundTheBlockAreFine) {
    auto d = parse_ok("\n# made by memdomainctl\r\n  \t" + kOneDomain + "  # trailing\n\n# end\n");
    EXPECT_EQ(d.name, "A");
    EXPECT_EQ(d.where.line, 3u);
}

TEST(ConfigDomainText, EveryDomainKeyIsReadAsInAConfigFile) {
    const std::string block = R"(memdomain Runtime.1 {
    type = local
    policy = dynamic
    grace = 500ms
    contiguous = yes
    vaddr = 0x7f0000000000
    cpualias = "0-1"
    vectors = 4
    max_peers = 8
    size {
        huge 2M = 4MB R/W
        huge 4K = 64K R/O
    }
    access {
        user root = R/W
        group 1001 = R/O
    }
    socket {
        owner = root
        group = kvm
        mode = 0600
    }
}
)";
    auto d = parse_ok(block);
    auto file = parse_config(block, "create");
    ASSERT_TRUE(file.has_value()) << file.error().message;
    ASSERT_EQ(file->domains.size(), 1u);
    const DomainConfig& f = file->domains[0];
    EXPECT_EQ(d.name, "Runtime.1");
    EXPECT_EQ(d.type, DomainType::Local);
    EXPECT_EQ(d.policy, DomainPolicy::Dynamic);
    EXPECT_EQ(d.grace_ms, 500u);
    EXPECT_TRUE(d.contiguous);
    EXPECT_EQ(d.vaddr, std::optional<std::uint64_t>(0x7f0000000000));
    EXPECT_EQ(d.cpualias, "0-1");
    EXPECT_EQ(d.vectors, 4u);
    EXPECT_EQ(d.max_peers, 8u);
    ASSERT_EQ(d.segments.size(), 2u);
    EXPECT_EQ(d.segments[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(to_string(d.segments[1].where), to_string(f.segments[1].where));
    ASSERT_TRUE(d.access.has_value());
    EXPECT_EQ(d.access->size(), 2u);
    EXPECT_EQ(d.socket.mode, std::optional<std::uint32_t>(0600));
    EXPECT_EQ(d.socket.group, std::optional<std::string>("kvm"));
}

struct BadText {
    const char* name;
    std::string text;
    std::string where;   // "LINE:COL"
    std::string phrase;  // must occur in the message
};
void PrintTo(const BadText& row, std::ostream* os) { *os << row.name; }

const std::vector<BadText> kBad = {
    {"EmptyText", "", "1:1", "unexpected end of file: expected exactly one memdomain block"},
    {"OnlyComments", "# nothing\n\n", "3:1", "unexpected end of file: expected exactly one memdomain block"},
    {"VersionRefused", "version = 1\n" + kOneDomain, "1:1",
     "unexpected 'version': expected exactly one memdomain block ('memdomain NAME { ... }', no version, no server "
     "block)"},
    {"ServerBlockRefused", "server { admin_group = wheel }\n" + kOneDomain, "1:1",
     "unexpected 'server': expected exactly one memdomain block"},
    {"SecondDomainRefused", kOneDomain + "\nmemdomain B { size { huge 4K = 1MB } }\n", "2:1",
     "unexpected 'memdomain': expected exactly one memdomain block and nothing after it"},
    {"VersionAfterTheDomainRefused", kOneDomain + "\nversion = 1\n", "2:1",
     "unexpected 'version': expected exactly one memdomain block and nothing after it"},
    {"StrayCloseBraceAfterTheDomain", kOneDomain + " }", "1:40",
     "unexpected '}': expected exactly one memdomain block"},
    {"BareKeysWithoutABlock", "size { huge 4K = 1MB }", "1:1",
     "unexpected 'size': expected exactly one memdomain block"},
    {"GarbageByte", "\x01" + kOneDomain, "1:1", "unexpected character '\\x01'"},
    // Inside the block, the rules of a config file.
    {"MissingCloseBrace", "memdomain A {\n  size { huge 4K = 1MB }\n", "3:1",
     "unexpected end of file: expected '}' or a key (type, policy, cpualias, vectors, max_peers, grace, contiguous, "
     "vaddr, size, access, socket)"},
    {"ReservedName", "memdomain control { size { huge 4K = 1MB } }", "1:11",
     "bad memdomain name: domain name 'control' is reserved"},
    {"MissingSizeBlock", "memdomain A { type = shared }", "1:11", "memdomain 'A' has no size block"},
    {"UnknownKey", "memdomain A {\n  colour = red\n  size { huge 4K = 1MB }\n}", "2:3", "unknown key 'colour'"},
    {"BadGrace", "memdomain A {\n  grace = 30\n  size { huge 4K = 1MB }\n}", "2:11",
     "bad duration '30': the unit is required"},
    {"BadContiguous", "memdomain A {\n  contiguous = on\n  size { huge 4K = 1MB }\n}", "2:16",
     "bad contiguous 'on' (allowed: yes, no)"},
    {"VaddrNotAlignedToItsSegments", "memdomain A {\n  vaddr = 0x1000\n  size { huge 2M = 2MB }\n}", "2:11",
     "vaddr 0x1000 is not a multiple of 2M"},
    {"SizeTooSmall", "memdomain A { size { huge 4K = 8K } }", "1:32", "8K is too small"},
};

class ConfigDomainTextError : public ::testing::TestWithParam<BadText> {};

TEST_P(ConfigDomainTextError, IsRefusedWithLocationAndMessage) {
    const BadText& row = GetParam();
    auto r = parse_domain_text(row.text, "create");
    ASSERT_FALSE(r.has_value()) << "accepted:\n" << row.text;
    const std::string& msg = r.error().message;
    EXPECT_EQ(msg.rfind("create:" + row.where + ": ", 0), 0u) << msg;
    EXPECT_NE(msg.find(row.phrase), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "not one line: " << msg;
    EXPECT_EQ(r.error().sys, EINVAL);
}

INSTANTIATE_TEST_SUITE_P(Malformed, ConfigDomainTextError, ::testing::ValuesIn(kBad),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace memdomain::config
