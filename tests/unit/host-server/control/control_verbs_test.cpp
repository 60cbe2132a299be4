// Request handling of the control protocol, in-process against a real
// DomainRegistry: how each malformed request is answered, and what the
// reading verbs (list, show, stats, qemu-args) read.
#include <gtest/gtest.h>

#include "control_verbs_fixture.h"

namespace memdomain::control {
namespace {

using nlohmann::json;

TEST_F(ControlVerbs, EveryReplyCarriesVersionOne) {
    for (auto line : {R"({"v":1,"verb":"list"})", "nonsense", R"({"v":9,"verb":"list"})"})
        EXPECT_EQ(ask(line).at("v"), 1) << line;
}

TEST_F(ControlVerbs, LineThatIsNotJsonIsEbadmsg) {
    auto r = ask(R"({"v":1,"verb":)");
    EXPECT_FALSE(r.at("ok").get<bool>());
    EXPECT_EQ(code(r), "EBADMSG");
}

TEST_F(ControlVerbs, JsonThatIsNotAnObjectIsEbadmsg) { EXPECT_EQ(code(ask("[1,2]")), "EBADMSG"); }

TEST_F(ControlVerbs, MissingVersionIsEinval) { EXPECT_EQ(code(ask(R"({"verb":"list"})")), "EINVAL"); }

TEST_F(ControlVerbs, OtherVersionIsEprotonosupportNamingIt) {
    auto r = ask(R"({"v":2,"verb":"list"})");
    EXPECT_EQ(code(r), "EPROTONOSUPPORT");
    EXPECT_NE(message(r).find("version 2"), std::string::npos) << message(r);
}

TEST_F(ControlVerbs, UnknownVerbIsEinvalListingEveryVerb) {
    auto r = ask(R"({"v":1,"verb":"frobnicate"})");
    EXPECT_EQ(code(r), "EINVAL");
    for (auto v : {"'frobnicate'", "list", "show", "stats", "qemu-args", "libvirt-xml", "create", "destroy", "grant",
                   "revoke"})
        EXPECT_NE(message(r).find(v), std::string::npos) << v << " missing from: " << message(r);
}

TEST_F(ControlVerbs, UnknownDomainIsEnoentNamingIt) {
    auto r = ask(R"({"v":1,"verb":"show","name":"Gamma"})");
    EXPECT_EQ(code(r), "ENOENT");
    EXPECT_EQ(message(r), "no domain 'Gamma'");
}

TEST_F(ControlVerbs, VerbAboutADomainWithoutNameIsEinval) {
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"qemu-args"})")), "EINVAL");
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"show","name":7})")), "EINVAL");
}

TEST_F(ControlVerbs, UnexpectedArgumentIsEinvalNamingIt) {
    auto r = ask(R"({"v":1,"verb":"list","nmae":"Alpha"})");
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_NE(message(r).find("'nmae'"), std::string::npos) << message(r);
}

// Messages quote at most 80 bytes of a client's string; cutting there can
// split a UTF-8 sequence, and the reply must still go out.
TEST_F(ControlVerbs, LongNameCutInsideAUtf8SequenceStillGetsAnEncodableReply) {
    const std::string name = std::string(79, 'a') + "\u00e9";
    auto r = ask(R"({"v":1,"verb":"show","name":")" + name + "\"}");
    EXPECT_EQ(code(r), "ENOENT");
    std::string line;
    EXPECT_NO_THROW(line = encode_line(r));
    EXPECT_FALSE(json::parse(line, nullptr, false).is_discarded()) << line;
}

TEST_F(ControlVerbs, ListGivesEveryDomainInConfigOrderWithTotals) {
    auto r = ask(R"({"v":1,"verb":"list"})");
    ASSERT_TRUE(r.at("ok").get<bool>()) << r.dump();
    const auto& d = r.at("result").at("domains");
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].at("name"), "Alpha");
    EXPECT_EQ(d[0].at("segments"), 1);
    EXPECT_EQ(d[0].at("size"), 1 << 20);
    EXPECT_EQ(d[1].at("name"), "Beta");
    EXPECT_EQ(d[1].at("type"), "shared");
    EXPECT_EQ(d[1].at("policy"), "static");
    EXPECT_EQ(d[1].at("segments"), 2);
    EXPECT_EQ(d[1].at("size"), (64 + 256) * 1024);
    EXPECT_EQ(d[1].at("peers"), 0);
}

TEST_F(ControlVerbs, ListGivesOriginInstancesAndResidentBytes) {
    const json alpha = ask(R"({"v":1,"verb":"list"})").at("result").at("domains").at(0);
    EXPECT_EQ(alpha.at("origin"), "config");
    EXPECT_EQ(alpha.at("instances"), 1) << "a static shared domain has its one instance from the start";
    EXPECT_EQ(alpha.at("resident"), 1 << 20) << "static: prefaulted";
}

TEST_F(ControlVerbs, ShowGivesEachSegmentsSocketNamespaceAndAccess) {
    auto r = ask(R"({"v":1,"verb":"show","name":"Beta"})");
    ASSERT_TRUE(r.at("ok").get<bool>()) << r.dump();
    const auto& segs = r.at("result").at("segments");
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(segs[0].at("access"), "R/O");
    EXPECT_EQ(segs[0].at("socket"), dir_.file("Beta.sock"));
    EXPECT_EQ(segs[0].at("namespace"), dir_.file("ns/Beta"));
    EXPECT_EQ(segs[1].at("index"), 1);
    EXPECT_EQ(segs[1].at("access"), "R/W");
    EXPECT_EQ(segs[1].at("socket"), dir_.file("Beta@1.sock"));
    EXPECT_EQ(segs[1].at("page_size"), 4096);
}

TEST_F(ControlVerbs, ShowGivesTheInstanceWithItsGenerationSizeAndSegments) {
    auto r = ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result");
    ASSERT_EQ(r.at("instances").size(), 1u) << r.dump();
    const auto& inst = r.at("instances")[0];
    EXPECT_EQ(inst.at("key"), "shared");
    EXPECT_NE(inst.at("generation").get<std::uint64_t>(), 0u);
    EXPECT_EQ(inst.at("size"), (64 + 256) * 1024);
    EXPECT_EQ(inst.at("peers"), 0);
    EXPECT_TRUE(inst.at("node").is_null());
    EXPECT_TRUE(inst.at("owner_pid").is_null());
    ASSERT_EQ(inst.at("segments").size(), 2u);
    EXPECT_EQ(inst.at("segments")[1].at("index"), 1);
    EXPECT_TRUE(inst.at("segments")[1].at("peers").empty());
}

TEST_F(ControlVerbs, ShowGivesExplicitAclEntriesAsWritten) {
    auto acl = ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result").at("acl");
    EXPECT_TRUE(acl.at("explicit").get<bool>());
    ASSERT_EQ(acl.at("entries").size(), 2u);
    EXPECT_EQ(acl.at("entries")[0], json({{"kind", "user"}, {"principal", "root"}, {"access", "R/W"}}));
    EXPECT_EQ(acl.at("entries")[1], json({{"kind", "group"}, {"principal", "100"}, {"access", "R/O"}}));
}

TEST_F(ControlVerbs, ShowSaysWhenTheDefaultAclApplies) {
    auto r = ask(R"({"v":1,"verb":"show","name":"Alpha"})").at("result");
    EXPECT_FALSE(r.at("acl").at("explicit").get<bool>());
    EXPECT_TRUE(r.at("acl").at("entries").empty());
    EXPECT_EQ(r.at("vectors"), 3);
    EXPECT_EQ(r.at("max_peers"), 8);
}

TEST_F(ControlVerbs, QemuArgsOfAReadOnlySegmentOfferOnlyThePlainAttach) {
    auto r = ask(R"({"v":1,"verb":"qemu-args","name":"Beta"})").at("result");
    EXPECT_TRUE(r.at("doorbell").is_null());
    ASSERT_EQ(r.at("readonly").size(), 8u) << "four arguments per segment";
    EXPECT_NE(r.at("readonly")[1].get<std::string>().find(",size=64K,"), std::string::npos) << r.dump();
    EXPECT_NE(r.at("readonly")[5].get<std::string>().find(",size=256K,"), std::string::npos) << r.dump();
}

TEST_F(ControlVerbs, QemuArgsUseTheDomainsSocketAndVectors) {
    auto r = ask(R"({"v":1,"verb":"qemu-args","name":"Alpha"})").at("result");
    EXPECT_EQ(r.at("doorbell"), json({"-chardev", "socket,id=md0,path=" + dir_.file("Alpha.sock"), "-device",
                                      "ivshmem-doorbell,chardev=md0,vectors=3"}));
}

TEST_F(ControlVerbs, StatsCountDomainsAndThisProcessesFds) {
    auto r = ask(R"({"v":1,"verb":"stats"})").at("result");
    EXPECT_EQ(r.at("pid"), ::getpid());
    EXPECT_EQ(r.at("domains"), 2);
    EXPECT_EQ(r.at("peers"), 0);
    EXPECT_EQ(r.at("fds_open").get<long>(), test::count_fds(::getpid()));
}

}  // namespace
}  // namespace memdomain::control
