// The config files that ship (config/memdomain.conf and config/examples/*)
// parse, into exactly what their comments promise; and reading a file that
// is not there is an error naming it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "config/config_parser.h"

namespace memdomain::config {
namespace {

const std::string kSource = MEMDOMAIN_SOURCE_DIR;

Config parse_file_ok(const std::string& path) {
    auto r = parse_config_file(path);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
    return r ? std::move(r).value() : Config{};
}

TEST(ConfigFiles, ShippedConfigHasMainMemOn2MPagesAndScratchOn4KPages) {
    auto c = parse_file_ok(kSource + "/config/memdomain.conf");
    ASSERT_EQ(c.domains.size(), 2u);
    const DomainConfig& m = c.domains[0];
    EXPECT_EQ(m.name, "MainMem");
    EXPECT_EQ(m.type, DomainType::Shared);
    EXPECT_EQ(m.policy, DomainPolicy::Static);
    EXPECT_EQ(m.vectors, 2u);
    ASSERT_EQ(m.segments.size(), 1u);
    EXPECT_EQ(m.segments[0].page_class, PageClass::k2M);
    EXPECT_EQ(m.segments[0].size, 64 * MiB);
    EXPECT_EQ(m.segments[0].access, SegmentAccess::ReadWrite);
    const DomainConfig& s = c.domains[1];
    EXPECT_EQ(s.name, "Scratch");
    EXPECT_EQ(s.vectors, 1u);
    ASSERT_EQ(s.segments.size(), 1u);
    EXPECT_EQ(s.segments[0].page_class, PageClass::k4K);
    EXPECT_EQ(s.segments[0].size, 1 * MiB);
    EXPECT_EQ(s.segments[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ(s.segments[0].where.file, kSource + "/config/memdomain.conf");
}

// Its server and socket blocks are comments only: the shipped behaviour is
// the daemon's defaults.
TEST(ConfigFiles, ShippedConfigKeepsDefaultLimitsAndSocketSettings) {
    auto c = parse_file_ok(kSource + "/config/memdomain.conf");
    EXPECT_EQ(c.server.max_pending_connections, 64u);
    EXPECT_EQ(c.server.max_queued_messages, 16384u);
    ASSERT_EQ(c.domains.size(), 2u);
    for (const DomainConfig& d : c.domains) {
        EXPECT_EQ(d.socket.where.line, 0u) << d.name;
        EXPECT_FALSE(d.socket.owner || d.socket.group || d.socket.mode) << d.name;
    }
}

TEST(ConfigFiles, GuardedExampleHasRootOnlySocketAndRootGrants) {
    auto c = parse_file_ok(kSource + "/config/examples/guarded.conf");
    EXPECT_EQ(c.server.max_pending_connections, 64u);
    EXPECT_EQ(c.server.max_queued_messages, 16384u);
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.name, "Vault");
    EXPECT_EQ(d.max_peers, 4u);
    ASSERT_EQ(d.segments.size(), 1u);
    EXPECT_EQ(d.segments[0].page_class, PageClass::k4K);
    EXPECT_EQ(d.segments[0].size, 1 * MiB);
    ASSERT_TRUE(d.access.has_value());
    ASSERT_EQ(d.access->size(), 2u);
    EXPECT_EQ((*d.access)[0].kind, AclEntry::Kind::User);
    EXPECT_EQ((*d.access)[0].principal, "root");
    EXPECT_EQ((*d.access)[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ((*d.access)[1].kind, AclEntry::Kind::Group);
    EXPECT_EQ((*d.access)[1].principal, "nogroup") << "not group root: R/O cannot bind root";
    EXPECT_EQ((*d.access)[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(d.socket.owner, std::optional<std::string>("root"));
    EXPECT_EQ(d.socket.group, std::optional<std::string>("root"));
    EXPECT_EQ(d.socket.mode, std::optional<std::uint32_t>(0660));
    EXPECT_NE(d.socket.where.line, 0u);
}

TEST(ConfigFiles, TalkExampleHasA4KReadWriteAndA2MReadOnlySegment) {
    auto c = parse_file_ok(kSource + "/config/examples/talk.conf");
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.name, "MainMem");
    EXPECT_EQ(d.type, DomainType::Numa);
    EXPECT_EQ(d.cpualias, "all");
    ASSERT_EQ(d.segments.size(), 2u);
    EXPECT_EQ(d.segments[0].page_class, PageClass::k4K);
    EXPECT_EQ(d.segments[0].size, 128 * MiB);
    EXPECT_EQ(d.segments[0].access, SegmentAccess::ReadWrite);
    EXPECT_EQ(d.segments[1].page_class, PageClass::k2M);
    EXPECT_EQ(d.segments[1].size, 256 * MiB);
    EXPECT_EQ(d.segments[1].access, SegmentAccess::ReadOnly);
}

TEST(ConfigFiles, VmPairExampleHasFourVectorsTwoPeersAndTwoGrants) {
    auto c = parse_file_ok(kSource + "/config/examples/vm-pair.conf");
    ASSERT_EQ(c.domains.size(), 1u);
    const DomainConfig& d = c.domains[0];
    EXPECT_EQ(d.name, "PktRing");
    EXPECT_EQ(d.vectors, 4u);
    EXPECT_EQ(d.max_peers, 2u);
    ASSERT_EQ(d.segments.size(), 1u);
    EXPECT_EQ(d.segments[0].page_class, PageClass::k2M);
    EXPECT_EQ(d.segments[0].size, 32 * MiB);
    ASSERT_TRUE(d.access.has_value());
    ASSERT_EQ(d.access->size(), 2u);
    EXPECT_EQ((*d.access)[0].kind, AclEntry::Kind::Group);
    EXPECT_EQ((*d.access)[0].principal, "kvm");
    EXPECT_EQ((*d.access)[1].kind, AclEntry::Kind::User);
    EXPECT_EQ((*d.access)[1].principal, "0");
}

TEST(ConfigFiles, DynamicExampleHasThreeDynamicDomains) {
    auto c = parse_file_ok(kSource + "/config/examples/dynamic.conf");
    ASSERT_EQ(c.domains.size(), 3u);
    EXPECT_EQ(c.domains[2].name, "scratch");
    EXPECT_EQ(c.domains[2].policy, DomainPolicy::Dynamic);
    EXPECT_EQ(c.domains[2].type, DomainType::Shared);
    EXPECT_EQ(c.domains[2].grace_ms, 10000u);
    EXPECT_EQ(c.domains[0].name, "telemetry.v1");
    EXPECT_EQ(c.domains[0].policy, DomainPolicy::Dynamic);
    EXPECT_EQ(c.domains[0].type, DomainType::Local);
    EXPECT_EQ(c.domains[0].cpualias, "0-1");
    EXPECT_EQ(c.domains[0].max_peers, 16u);
    ASSERT_EQ(c.domains[0].access->size(), 3u);
    EXPECT_EQ((*c.domains[0].access)[1].access, SegmentAccess::ReadOnly);
    EXPECT_EQ(c.domains[1].name, "big-buffers");
    EXPECT_EQ(c.domains[1].policy, DomainPolicy::Dynamic);
    EXPECT_EQ(c.domains[1].vectors, 8u);
    EXPECT_EQ(c.domains[1].max_peers, 1024u);
    EXPECT_EQ(c.domains[1].segments[0].page_class, PageClass::k1G);
    EXPECT_EQ(c.domains[1].segments[0].size, 1 * GiB);
}

TEST(ConfigFiles, DmaExampleHasAContiguousRingAndADynamicPoolAtFixedAddresses) {
    auto c = parse_file_ok(kSource + "/config/examples/dma.conf");
    ASSERT_EQ(c.domains.size(), 2u);
    const DomainConfig& ring = c.domains[0];
    EXPECT_EQ(ring.name, "DmaRing");
    EXPECT_TRUE(ring.contiguous);
    EXPECT_EQ(ring.vaddr, std::optional<std::uint64_t>(0x600000000000));
    EXPECT_EQ(ring.policy, DomainPolicy::Static);
    EXPECT_EQ(ring.vectors, 2u);
    ASSERT_EQ(ring.segments.size(), 1u);
    EXPECT_EQ(ring.segments[0].page_class, PageClass::k2M);
    EXPECT_EQ(ring.segments[0].size, 2 * MiB);
    const DomainConfig& pool = c.domains[1];
    EXPECT_EQ(pool.name, "DmaPool");
    EXPECT_FALSE(pool.contiguous);
    EXPECT_EQ(pool.policy, DomainPolicy::Dynamic);
    EXPECT_EQ(pool.grace_ms, 2u * 60 * 1000);
    EXPECT_EQ(pool.vaddr, std::optional<std::uint64_t>(0x600040000000));
    ASSERT_EQ(pool.segments.size(), 2u);
    EXPECT_EQ(pool.segments[0].size, 64 * KiB);
    EXPECT_EQ(pool.segments[1].page_class, PageClass::k2M);
    EXPECT_EQ(pool.segments[1].size, 4 * MiB);
    EXPECT_FALSE(c.server.admin_group.has_value());
}

// New examples are covered without editing this test.
TEST(ConfigFiles, EveryExampleParses) {
    int seen = 0;
    for (const auto& e : std::filesystem::directory_iterator(kSource + "/config/examples")) {
        if (e.path().extension() != ".conf") continue;
        ++seen;
        auto r = parse_config_file(e.path().string());
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
        if (r) {
            EXPECT_FALSE(r->domains.empty()) << e.path();
        }
    }
    EXPECT_GE(seen, 3);
}

TEST(ConfigFiles, MissingFileIsAnErrorNamingIt) {
    const std::string path = kSource + "/config/does-not-exist.conf";
    auto r = parse_config_file(path);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().sys, ENOENT);
}

TEST(ConfigFiles, ErrorsInAFileAreReportedUnderItsPath) {
    const auto path = std::filesystem::temp_directory_path() / ("memdomain-cfg-test-" + std::to_string(::getpid()) + ".conf");
    {
        std::ofstream f(path);
        f << "memdomain A {\n  size { huge 4K = 3MB }\n}\n";
    }
    auto r = parse_config_file(path.string());
    std::filesystem::remove(path);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().message.rfind(path.string() + ":2:20: ", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace memdomain::config
