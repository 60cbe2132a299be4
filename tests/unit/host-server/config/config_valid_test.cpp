// Valid config texts parse into exactly the model they describe: defaults,
// every key, every spelling the grammar allows, free-form layout, CRLF.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
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

TEST(ConfigValid, EmptyTextIsAConfigWithNoDomains) {
    auto c = parse_ok("");
    EXPECT_EQ(c.version, 1u);
    EXPECT_TRUE(c.domains.empty());
}

TEST(ConfigValid, OnlyCommentsAndBlanksIsAConfigWithNoDomains) {
    auto c = parse_ok("# nothing here\n\n   \t# still nothing\r\n");
    EXPECT_TRUE(c.domains.empty());
}

TEST(ConfigValid, MinimalDomainGetsEveryDefault) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.name, "A");
    EXPECT_EQ(d.type, DomainType::Shared);
    EXPECT_EQ(d.policy, DomainPolicy::Static);
    EXPECT_EQ(d.cpualias, "all");
    EXPECT_EQ(d.vectors, 1u);
    EXPECT_EQ(d.max_peers, 64u);
    EXPECT_EQ(d.grace_ms, 30000u);
    EXPECT_FALSE(d.contiguous);
    EXPECT_FALSE(d.vaddr.has_value());
    EXPECT_FALSE(d.access.has_value());
    ASSERT_EQ(d.segments.size(), 1u);
    EXPECT_EQ(d.segments[0].page_class, PageClass::k4K);
    EXPECT_EQ(d.segments[0].size, 1 * MiB);
    EXPECT_EQ(d.segments[0].access, SegmentAccess::ReadWrite);
}

TEST(ConfigValid, EveryKeyIsReadIntoTheModel) {
    auto c = parse_ok(R"(version = 1
memdomain Full.Name-1_x {
    type = numa
    policy = dynamic
    cpualias = "0-3,6"
    vectors = 8
    max_peers = 1024
    grace = 90s
    contiguous = yes
    vaddr = 0x7f0000000000
    size {
        huge 4K = 128MB R/W
        huge 2M = 256MB R/O
        huge 1G = 1GB
    }
    access {
        user root = R/W
        group mdreaders = R/O
        user 1001 = R/O
        group machine$ = R/W
    }
}
)");
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.name, "Full.Name-1_x");
    EXPECT_EQ(d.type, DomainType::Numa);
    EXPECT_EQ(d.policy, DomainPolicy::Dynamic);
    EXPECT_EQ(d.cpualias, "0-3,6");
    EXPECT_EQ(d.vectors, 8u);
    EXPECT_EQ(d.max_peers, 1024u);
    EXPECT_EQ(d.grace_ms, 90000u);
    EXPECT_TRUE(d.contiguous);
    EXPECT_EQ(d.vaddr, std::optional<std::uint64_t>(0x7f0000000000));
    ASSERT_EQ(d.segments.size(), 3u);
    EXPECT_EQ(d.segments[0].page_class, PageClass::k4K);
    EXPECT_EQ(d.segments[0].size, 128 * MiB);
    EXPECT_EQ(d.segments[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ(d.segments[1].page_class, PageClass::k2M);
    EXPECT_EQ(d.segments[1].size, 256 * MiB);
    EXPECT_EQ(d.segments[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(d.segments[2].page_class, PageClass::k1G);
    EXPECT_EQ(d.segments[2].size, 1 * GiB);
    EXPECT_EQ(d.segments[2].access, SegmentAccess::ReadWrite);
    ASSERT_TRUE(d.access.has_value());
    ASSERT_EQ(d.access->size(), 4u);
    EXPECT_EQ((*d.access)[0].kind, AclEntry::Kind::User);
    EXPECT_EQ((*d.access)[0].principal, "root");
    EXPECT_EQ((*d.access)[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ((*d.access)[1].kind, AclEntry::Kind::Group);
    EXPECT_EQ((*d.access)[1].principal, "mdreaders");
    EXPECT_EQ((*d.access)[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ((*d.access)[2].principal, "1001");
    EXPECT_EQ((*d.access)[3].principal, "machine$");
}

TEST(ConfigValid, LocationsPointAtNameSegmentLineAndAccessLine) {
    auto c = parse_ok("memdomain  Loc {\n  size {\n\thuge 4K = 1MB\n  }\n  access {\n    group 7 = R/O\n  }\n}\n");
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.where.file, "test.conf");
    EXPECT_EQ(d.where.line, 1u);
    EXPECT_EQ(d.where.column, 12u);
    EXPECT_EQ(d.segments[0].where.line, 3u);
    EXPECT_EQ(d.segments[0].where.column, 2u);  // a tab is one column
    EXPECT_EQ((*d.access)[0].where.line, 6u);
    EXPECT_EQ((*d.access)[0].where.column, 5u);
    EXPECT_EQ(to_string(d.where), "test.conf:1:12");
}

TEST(ConfigValid, KeysComeInAnyOrder) {
    auto c = parse_ok("memdomain A { access { user root = R/W } " + kOneSegment +
                      " max_peers = 2 vaddr = 0x200000 vectors = 3 grace = 1m policy = dynamic cpualias = \"1\" "
                      "contiguous = no type = local }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].type, DomainType::Local);
    EXPECT_EQ(c.domains[0].policy, DomainPolicy::Dynamic);
    EXPECT_EQ(c.domains[0].vectors, 3u);
    EXPECT_EQ(c.domains[0].max_peers, 2u);
    EXPECT_EQ(c.domains[0].cpualias, "1");
    EXPECT_EQ(c.domains[0].grace_ms, 60000u);
    EXPECT_FALSE(c.domains[0].contiguous);
    EXPECT_EQ(c.domains[0].vaddr, std::optional<std::uint64_t>(0x200000));
    EXPECT_EQ(c.domains[0].access->size(), 1u);
}

TEST(ConfigValid, WholeDomainOnOneLineWithoutBlanksAroundPunctuation) {
    auto c = parse_ok("memdomain A{type=numa size{huge 2M=4MB R/O huge 4K=64K}access{user x=R/W}}memdomain B{size{huge 4K=8MB}}");
    ASSERT_EQ(c.domains.size(), 2u);
    EXPECT_EQ(c.domains[0].type, DomainType::Numa);
    ASSERT_EQ(c.domains[0].segments.size(), 2u);
    EXPECT_EQ(c.domains[0].segments[0].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(c.domains[0].segments[1].size, 64 * KiB);
    EXPECT_EQ(c.domains[1].name, "B");
    EXPECT_EQ(c.domains[1].segments[0].size, 8 * MiB);
}

TEST(ConfigValid, CommentsMayFollowEveryToken) {
    auto c = parse_ok("version # v\n= # eq\n1 # one\nmemdomain # kw\nA # name\n{ # open\n size # s\n { # o\n huge # h\n"
                      " 4K # pc\n = # eq\n 1MB # sz\n R/O # acc\n } # c\n} # end");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].segments[0].access, SegmentAccess::ReadOnly);
}

TEST(ConfigValid, CrlfLineEndingsGiveTheSameModelAsLf) {
    const std::string lf = "version = 1\nmemdomain A {\n  vectors = 2 # c\n  size {\n    huge 4K = 1MB R/O\n  }\n}\n";
    std::string crlf;
    for (char ch : lf) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    auto a = parse_ok(lf);
    auto b = parse_ok(crlf);
    ASSERT_EQ(a.domains.size(), 1u);
    ASSERT_EQ(b.domains.size(), 1u);
    EXPECT_EQ(b.domains[0].vectors, 2u);
    EXPECT_EQ(b.domains[0].segments[0].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(b.domains[0].segments[0].where.line, a.domains[0].segments[0].where.line);
    EXPECT_EQ(b.domains[0].segments[0].where.column, a.domains[0].segments[0].where.column);
}

TEST(ConfigValid, PageClassSpellingsAllMapToTheirClass) {
    auto c = parse_ok("memdomain A { size { huge 4k = 1M huge 4KB = 1M huge 2mb = 2M huge 2MB = 2M huge 1g = 1G huge 1Gb = 1G } }");
    ASSERT_EQ(c.domains.size(), 1u);
    const auto& s = c.domains[0].segments;
    ASSERT_EQ(s.size(), 6u);
    EXPECT_EQ(s[0].page_class, PageClass::k4K);
    EXPECT_EQ(s[1].page_class, PageClass::k4K);
    EXPECT_EQ(s[2].page_class, PageClass::k2M);
    EXPECT_EQ(s[3].page_class, PageClass::k2M);
    EXPECT_EQ(s[4].page_class, PageClass::k1G);
    EXPECT_EQ(s[5].page_class, PageClass::k1G);
}

TEST(ConfigValid, SizeSuffixesAndPlainBytesAreBinaryMultiples) {
    auto c = parse_ok("memdomain A { size { huge 4K = 1048576 huge 4K = 64K huge 4K = 64kb huge 4K = 2m huge 4K = 1T } }");
    ASSERT_EQ(c.domains.size(), 1u);
    const auto& s = c.domains[0].segments;
    ASSERT_EQ(s.size(), 5u);
    EXPECT_EQ(s[0].size, 1 * MiB);
    EXPECT_EQ(s[1].size, 64 * KiB);
    EXPECT_EQ(s[2].size, 64 * KiB);
    EXPECT_EQ(s[3].size, 2 * MiB);
    EXPECT_EQ(s[4].size, 1024 * GiB);
}

TEST(ConfigValid, SixteenSegmentsAreAllowed) {
    std::string text = "memdomain A { size {\n";
    for (int i = 0; i < 16; ++i) text += "huge 4K = 1MB\n";
    auto c = parse_ok(text + "} }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].segments.size(), 16u);
}

TEST(ConfigValid, SmallestSegmentThatHoldsHeaderAndMailboxIsAccepted) {
    // 4K header + 64 peers * 64 B mailbox = 8K, so 16K leaves 8K of data.
    auto c = parse_ok("memdomain A { size { huge 4K = 16K } }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].segments[0].size, 16 * KiB);
}

TEST(ConfigValid, CpuAliasListsOfNumbersAndRanges) {
    for (const char* list : {"0", "7", "0-0", "0-3,6", "1,3,5-7,8191"}) {
        auto c = parse_ok(std::string("memdomain A { cpualias = \"") + list + "\" " + kOneSegment + " }");
        ASSERT_EQ(c.domains.size(), 1u) << list;
        EXPECT_EQ(c.domains[0].cpualias, list);
    }
}

TEST(ConfigValid, CpuAliasAllIsKeptAsWritten) {
    auto c = parse_ok("memdomain A { cpualias = \"all\" " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].cpualias, "all");
}

TEST(ConfigValid, EmptyAccessBlockMeansNobodyIsListed) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " access { } }");
    ASSERT_EQ(c.domains.size(), 1u);
    ASSERT_TRUE(c.domains[0].access.has_value());
    EXPECT_TRUE(c.domains[0].access->empty());
}

TEST(ConfigValid, SameNameAsUserAndAsGroupAreTwoEntries) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " access { user kvm = R/W group kvm = R/O } }");
    ASSERT_EQ(c.domains.size(), 1u);
    ASSERT_EQ(c.domains[0].access->size(), 2u);
    EXPECT_EQ((*c.domains[0].access)[1].kind, AclEntry::Kind::Group);
}

TEST(ConfigValid, VmEntriesKeepTheVmNameAndTheWildcard) {
    auto c = parse_ok("memdomain A { " + kOneSegment +
                      "\n access {\n vm web-1.prod = R/W\n vm * = R/O\n user web1 = R/W\n } }");
    ASSERT_EQ(c.domains.size(), 1u);
    const auto& acl = *c.domains[0].access;
    ASSERT_EQ(acl.size(), 3u);
    EXPECT_EQ(acl[0].kind, AclEntry::Kind::Vm);
    EXPECT_EQ(acl[0].principal, "web-1.prod");
    EXPECT_EQ(acl[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ(acl[0].where.line, 3u);
    EXPECT_EQ(acl[1].kind, AclEntry::Kind::Vm);
    EXPECT_EQ(acl[1].principal, std::string(kAnyVm));
    EXPECT_EQ(acl[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(acl[2].kind, AclEntry::Kind::User) << "a user and a VM of the same name are different principals";
}

TEST(ConfigValid, AclKindWordsRoundTrip) {
    for (auto k : {AclEntry::Kind::User, AclEntry::Kind::Group, AclEntry::Kind::Vm})
        EXPECT_EQ(acl_kind_from(to_string(k)), k);
    EXPECT_FALSE(acl_kind_from("uid"));
}

TEST(ConfigValid, DomainsKeepTheirOrder) {
    auto c = parse_ok("memdomain Z { " + kOneSegment + " } memdomain A { " + kOneSegment + " } memdomain M { " +
                      kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 3u);
    EXPECT_EQ(c.domains[0].name, "Z");
    EXPECT_EQ(c.domains[1].name, "A");
    EXPECT_EQ(c.domains[2].name, "M");
}

// --- server { } --------------------------------------------------------------
TEST(ConfigValid, NoServerBlockGivesTheDefaultLimits) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " }");
    EXPECT_EQ(c.server.max_pending_connections, 64u);
    EXPECT_EQ(c.server.max_queued_messages, 16384u);
    EXPECT_FALSE(c.server.admin_group.has_value());
    EXPECT_EQ(c.server.admin_group_where.line, 0u);
}

TEST(ConfigValid, LibvirtRunDirDefaultsToLibvirtsAndIsKeptAsWritten) {
    EXPECT_EQ(parse_ok("").server.libvirt_run_dir, "/run/libvirt/qemu");
    auto d = parse_ok("server {\n  libvirt_run_dir = /tmp/sandbox/run/libvirt/qemu\n}\n");
    EXPECT_EQ(d.server.libvirt_run_dir, "/tmp/sandbox/run/libvirt/qemu");
    EXPECT_EQ(d.server.libvirt_run_dir_where.line, 2u);
    EXPECT_EQ(d.server.libvirt_run_dir_where.column, 21u);
}

TEST(ConfigValid, AdminGroupIsKeptAsWrittenWithTheLocationOfItsValue) {
    auto c = parse_ok("server {\n  max_queued_messages = 128\n  admin_group = mdadmin\n}\n");
    EXPECT_EQ(c.server.admin_group, std::optional<std::string>("mdadmin"));
    EXPECT_EQ(to_string(c.server.admin_group_where), "test.conf:3:17");
    EXPECT_EQ(c.server.max_queued_messages, 128u);
}

TEST(ConfigValid, AdminGroupMayBeADecimalGid) {
    auto c = parse_ok("server { admin_group = 0 }");
    EXPECT_EQ(c.server.admin_group, std::optional<std::string>("0"));
    auto d = parse_ok("server{admin_group=1001}");
    EXPECT_EQ(d.server.admin_group, std::optional<std::string>("1001"));
}

TEST(ConfigValid, ServerBlockSetsBothLimits) {
    auto c = parse_ok("version = 1\nserver {\n  max_pending_connections = 128\n  max_queued_messages = 4096\n}\n"
                      "memdomain A { " + kOneSegment + " }\n");
    EXPECT_EQ(c.server.max_pending_connections, 128u);
    EXPECT_EQ(c.server.max_queued_messages, 4096u);
    EXPECT_EQ(c.domains.size(), 1u);
}

TEST(ConfigValid, ServerBlockKeepsTheDefaultOfAnUnsetLimit) {
    auto c = parse_ok("server { max_queued_messages = 100 }");
    EXPECT_EQ(c.server.max_pending_connections, 64u);
    EXPECT_EQ(c.server.max_queued_messages, 100u);
}

TEST(ConfigValid, ServerBlockMayStandBetweenAndAfterDomains) {
    auto between = parse_ok("memdomain A { " + kOneSegment + " } server { max_pending_connections = 7 } memdomain B { " +
                            kOneSegment + " }");
    EXPECT_EQ(between.domains.size(), 2u);
    EXPECT_EQ(between.server.max_pending_connections, 7u);
    auto last = parse_ok("memdomain A { " + kOneSegment + " }\nserver{max_queued_messages=65}");
    EXPECT_EQ(last.server.max_queued_messages, 65u);
}

TEST(ConfigValid, ServerLimitsAcceptTheirBounds) {
    auto low = parse_ok("server { max_pending_connections = 1 max_queued_messages = 64 }");
    EXPECT_EQ(low.server.max_pending_connections, 1u);
    EXPECT_EQ(low.server.max_queued_messages, 64u);
    auto high = parse_ok("server { max_pending_connections = 4096 max_queued_messages = 1048576 }");
    EXPECT_EQ(high.server.max_pending_connections, 4096u);
    EXPECT_EQ(high.server.max_queued_messages, 1048576u);
}

TEST(ConfigValid, EmptyServerBlockGivesTheDefaultLimits) {
    auto c = parse_ok("server { }");
    EXPECT_EQ(c.server.max_pending_connections, 64u);
    EXPECT_EQ(c.server.max_queued_messages, 16384u);
}

// --- socket { } --------------------------------------------------------------
TEST(ConfigValid, NoSocketBlockLeavesEverySocketSettingUnset) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 1u);
    const SocketConfig& s = c.domains[0].socket;
    EXPECT_FALSE(s.owner.has_value());
    EXPECT_FALSE(s.group.has_value());
    EXPECT_FALSE(s.mode.has_value());
    EXPECT_EQ(s.where.line, 0u);
}

TEST(ConfigValid, SocketBlockIsReadIntoTheModelWithItsLocation) {
    auto c = parse_ok("memdomain A {\n  " + kOneSegment + "\n  socket {\n    owner = root\n    group = kvm\n"
                      "    mode = 0660\n  }\n}\n");
    ASSERT_EQ(c.domains.size(), 1u);
    const SocketConfig& s = c.domains[0].socket;
    EXPECT_EQ(s.owner, std::optional<std::string>("root"));
    EXPECT_EQ(s.group, std::optional<std::string>("kvm"));
    EXPECT_EQ(s.mode, std::optional<std::uint32_t>(0660));
    EXPECT_EQ(to_string(s.where), "test.conf:3:3");
}

TEST(ConfigValid, SocketOwnerAndGroupMayBeDecimalIdsKeptAsWritten) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " socket { group = 0 owner = 1001 } }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].socket.owner, std::optional<std::string>("1001"));
    EXPECT_EQ(c.domains[0].socket.group, std::optional<std::string>("0"));
    EXPECT_FALSE(c.domains[0].socket.mode.has_value());
}

TEST(ConfigValid, SocketModesAreOctalWithAnyNumberOfLeadingZeros) {
    const std::pair<const char*, std::uint32_t> modes[] = {
        {"0", 0}, {"00", 0}, {"0600", 0600}, {"0777", 0777}, {"00000644", 0644}, {"0007", 07}};
    for (const auto& [text, value] : modes) {
        auto c = parse_ok(std::string("memdomain A { ") + kOneSegment + " socket { mode = " + text + " } }");
        ASSERT_EQ(c.domains.size(), 1u) << text;
        EXPECT_EQ(c.domains[0].socket.mode, std::optional<std::uint32_t>(value)) << text;
    }
}

TEST(ConfigValid, EmptySocketBlockSetsOnlyItsLocation) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " socket{} }");
    ASSERT_EQ(c.domains.size(), 1u);
    const SocketConfig& s = c.domains[0].socket;
    EXPECT_FALSE(s.owner || s.group || s.mode);
    EXPECT_EQ(s.where.line, 1u);
    EXPECT_EQ(s.where.column, 38u);
}

TEST(ConfigValid, SocketBlockBelongsToItsOwnDomainOnly) {
    auto c = parse_ok("memdomain A { socket { mode = 0600 } " + kOneSegment + " } memdomain B { " + kOneSegment +
                      " socket { mode = 0666 owner = root } } memdomain C { " + kOneSegment + " }");
    ASSERT_EQ(c.domains.size(), 3u);
    EXPECT_EQ(c.domains[0].socket.mode, std::optional<std::uint32_t>(0600));
    EXPECT_FALSE(c.domains[0].socket.owner.has_value());
    EXPECT_EQ(c.domains[1].socket.mode, std::optional<std::uint32_t>(0666));
    EXPECT_EQ(c.domains[1].socket.owner, std::optional<std::string>("root"));
    EXPECT_FALSE(c.domains[2].socket.mode.has_value());
    EXPECT_EQ(c.domains[2].socket.where.line, 0u);
}

TEST(ConfigValid, SocketGroupKeywordDoesNotOpenAnAccessEntry) {
    auto c = parse_ok("memdomain A { " + kOneSegment + " socket { group = kvm } access { group kvm = R/O } }");
    ASSERT_EQ(c.domains.size(), 1u);
    EXPECT_EQ(c.domains[0].socket.group, std::optional<std::string>("kvm"));
    ASSERT_EQ(c.domains[0].access->size(), 1u);
    EXPECT_EQ((*c.domains[0].access)[0].access, SegmentAccess::ReadOnly);
}

TEST(ConfigValid, StreamOverloadReadsTheWholeStream) {
    std::istringstream in("memdomain S { " + kOneSegment + " }");
    auto r = parse_config(in, "stream.conf");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->domains.size(), 1u);
    EXPECT_EQ(r->domains[0].where.file, "stream.conf");
}

}  // namespace
}  // namespace memdomain::config
