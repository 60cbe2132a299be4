// Request handling of the control protocol, in-process against a real
// DomainRegistry (real sealed segments, real listening sockets in a temp
// dir): how each malformed request is answered, and what the verbs read.
#include <gtest/gtest.h>

#include "config/config_parser.h"
#include "control/control_protocol.h"
#include "control/control_verbs.h"
#include "server_fixture.h"

namespace memdomain::control {
namespace {

using nlohmann::json;

const char* kConfig = R"(
memdomain Alpha {
    vectors = 3
    max_peers = 8
    size {
        huge 4K = 1MB R/W
    }
}
memdomain Beta {
    size {
        huge 4K = 64KB R/O
        huge 4K = 256KB R/W
    }
    access {
        user root = R/W
        group 100 = R/O
    }
}
)";

class ControlVerbs : public ::testing::Test {
protected:
    void SetUp() override {
        auto cfg = config::parse_config(kConfig, "<test>");
        ASSERT_TRUE(cfg) << cfg.error().message;
        auto loop = server::EventLoop::create();
        ASSERT_TRUE(loop) << loop.error().message;
        loop_.emplace(std::move(loop).value());
        server::RegistryOptions ro;
        ro.socket_dir = dir_.path();
        auto reg = server::DomainRegistry::create(*cfg, ro, *loop_);
        ASSERT_TRUE(reg) << reg.error().message;
        reg_ = std::move(reg).value();
        ctx_.registry = reg_.get();
        ctx_.socket_dir = dir_.path();
    }
    json ask(std::string_view line) { return handle_request_line(line, ctx_); }
    static std::string code(const json& reply) { return reply.at("error").at("code").get<std::string>(); }
    static std::string message(const json& reply) { return reply.at("error").at("message").get<std::string>(); }

    test::TempDir dir_;
    std::optional<server::EventLoop> loop_;
    std::unique_ptr<server::DomainRegistry> reg_;
    ControlContext ctx_;
};

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
    auto r = ask(R"({"v":1,"verb":"destroy"})");
    EXPECT_EQ(code(r), "EINVAL");
    for (auto v : {"'destroy'", "list", "show", "stats", "qemu-args", "libvirt-xml"})
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
    EXPECT_EQ(segs[0].at("generation"), segs[1].at("generation")) << "one generation per domain instance";
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
    ASSERT_EQ(r.at("readonly").size(), 4u);
    EXPECT_NE(r.at("readonly")[1].get<std::string>().find(",size=64K,"), std::string::npos) << r.dump();
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
