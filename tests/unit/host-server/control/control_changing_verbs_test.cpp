// The changing verbs of the control protocol, in-process against a real
// DomainRegistry: create (answered late: the test runs the event loop until
// the reply), destroy, grant and revoke, what each changes in list and show,
// how each bad argument is refused, and who may change anything.
#include <gtest/gtest.h>

#include <algorithm>

#include "control_verbs_fixture.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"

namespace memdomain::control {
namespace {

using nlohmann::json;

class ControlChangingVerbs : public ControlVerbs {};

// ---- create ----

TEST_F(ControlChangingVerbs, CreateWithBadTextIsEinvalWithTheParsersRequestLineAndColumn) {
    auto r = create("memdomain Bad {\n    vectors = many\n}\n");
    ASSERT_FALSE(ok(r)) << r.dump();
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_EQ(message(r).rfind("request:2:", 0), 0u) << message(r);
}

TEST_F(ControlChangingVerbs, CreateOfTwoDomainsInOneTextIsEinval) {
    auto r = create(domain_text("One") + domain_text("Two"));
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_EQ(message(r).rfind("request:", 0), 0u) << message(r);
}

TEST_F(ControlChangingVerbs, CreateAnswersLaterWithTheNewDomainsShowAndListHasIt) {
    auto r = create(domain_text("Gamma"));
    ASSERT_TRUE(ok(r)) << r.dump();
    EXPECT_EQ(r.at("result").at("name"), "Gamma");
    EXPECT_EQ(r.at("result").at("origin"), "runtime");
    EXPECT_EQ(r.at("result").at("vectors"), 2);
    EXPECT_EQ(r.at("result").at("segments").at(0).at("socket"), dir_.file("Gamma.sock"));
    EXPECT_EQ(r.at("result").at("instances").size(), 1u);
    const auto domains = ask(R"({"v":1,"verb":"list"})").at("result").at("domains");
    ASSERT_EQ(domains.size(), 3u);
    EXPECT_EQ(domains[2].at("name"), "Gamma");
    EXPECT_EQ(domains[2].at("origin"), "runtime");
    EXPECT_EQ(domains[2].at("size"), 128 * 1024);
}

TEST_F(ControlChangingVerbs, CreateOfATakenNameIsEexistNamingIt) {
    auto r = create(domain_text("Alpha"));
    EXPECT_EQ(code(r), "EEXIST");
    EXPECT_NE(message(r).find("'Alpha'"), std::string::npos) << message(r);
}

TEST_F(ControlChangingVerbs, CreateNamingAnUnknownUserIsEinvalPointingIntoTheText) {
    auto r = create(domain_text("Delta", "    access {\n        user md-no-such-user-here = R/W\n    }\n"));
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_NE(message(r).find("request:4:"), std::string::npos) << message(r);
    EXPECT_NE(message(r).find("md-no-such-user-here"), std::string::npos) << message(r);
}

TEST_F(ControlChangingVerbs, CreateBiggerThanTheHugepagePoolIsEnomem) {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool) GTEST_SKIP() << "no 2 MiB hugepage pool: " << pool.error().message;
    auto r = create("memdomain Huge {\n    size {\n        huge 2M = 1TB R/W\n    }\n}\n");
    EXPECT_EQ(code(r), "ENOMEM") << r.dump();
}

TEST_F(ControlChangingVerbs, CreateWithoutTextOrWithMistypedProgressIsEinval) {
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"create"})")), "EINVAL");
    auto r = ask_json(json{{"v", 1}, {"verb", "create"}, {"text", domain_text("E")}, {"progress", "yes"}});
    EXPECT_EQ(code(r), "EINVAL");
    EXPECT_NE(message(r).find("\"progress\" must be a boolean"), std::string::npos) << message(r);
}

TEST_F(ControlChangingVerbs, CreateWithProgressEndsWithTheReplyAndEveryProgressLineCountsUp) {
    auto r = ask_and_wait({{"v", 1}, {"verb", "create"}, {"text", domain_text("Prog")}, {"progress", true}});
    ASSERT_TRUE(ok(r)) << r.dump();
    std::uint64_t last = 0;
    for (const auto& p : progress_) {
        EXPECT_TRUE(is_progress_line(p)) << p.dump();
        EXPECT_FALSE(p.contains("ok")) << p.dump();
        EXPECT_EQ(p.at("progress").at("total"), 128 * 1024);
        EXPECT_GE(p.at("progress").at("done").get<std::uint64_t>(), last);
        last = p.at("progress").at("done").get<std::uint64_t>();
    }
}

// ---- destroy ----

TEST_F(ControlChangingVerbs, DestroyRemovesTheDomainFromListAndShow) {
    auto r = ask(R"({"v":1,"verb":"destroy","name":"Alpha"})");
    ASSERT_TRUE(ok(r)) << r.dump();
    EXPECT_EQ(r.at("result"), json({{"disconnected", 0}}));
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"show","name":"Alpha"})")), "ENOENT");
    EXPECT_EQ(ask(R"({"v":1,"verb":"list"})").at("result").at("domains").size(), 1u);
}

TEST_F(ControlChangingVerbs, DestroyOfADomainCreatedAtRuntimeFreesItsName) {
    ASSERT_TRUE(ok(create(domain_text("Again"))));
    ASSERT_TRUE(ok(ask(R"({"v":1,"verb":"destroy","name":"Again"})")));
    // The old ServedDomain goes on a deferred turn of the loop; the name is free at once.
    EXPECT_TRUE(ok(create(domain_text("Again"))));
}

TEST_F(ControlChangingVerbs, DestroyOfAnUnknownDomainIsEnoentNamingIt) {
    auto r = ask(R"({"v":1,"verb":"destroy","name":"Nowhere"})");
    EXPECT_EQ(code(r), "ENOENT");
    EXPECT_EQ(message(r), "no domain 'Nowhere'");
}

TEST_F(ControlChangingVerbs, DestroyWithAForceThatIsNotABooleanIsEinval) {
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"destroy","name":"Alpha","force":"yes"})")), "EINVAL");
    EXPECT_TRUE(reg_->find("Alpha")) << "nothing happens on a malformed request";
}

// ---- grant, revoke ----

TEST_F(ControlChangingVerbs, GrantOnTheDefaultPolicyMakesItExplicitKeepingRoot) {
    auto r = ask(R"({"v":1,"verb":"grant","name":"Alpha","kind":"group","principal":"100","access":"R/O"})");
    ASSERT_TRUE(ok(r)) << r.dump();
    EXPECT_EQ(r.at("result").at("disconnected"), 0);
    const auto acl = r.at("result").at("acl");
    EXPECT_TRUE(acl.at("explicit").get<bool>());
    EXPECT_NE(std::find(acl.at("entries").begin(), acl.at("entries").end(),
                        json({{"kind", "user"}, {"principal", "0"}, {"access", "R/W"}})),
              acl.at("entries").end())
        << acl.dump();
    EXPECT_EQ(acl.at("entries").back(), json({{"kind", "group"}, {"principal", "100"}, {"access", "R/O"}}));
    EXPECT_EQ(ask(R"({"v":1,"verb":"show","name":"Alpha"})").at("result").at("acl"), acl);
}

TEST_F(ControlChangingVerbs, GrantReplacesThePrincipalsEntry) {
    ASSERT_TRUE(ok(ask(R"({"v":1,"verb":"grant","name":"Beta","kind":"group","principal":"100","access":"R/W"})")));
    const auto entries = ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result").at("acl").at("entries");
    ASSERT_EQ(entries.size(), 2u) << entries.dump();
    EXPECT_EQ(entries[1], json({{"kind", "group"}, {"principal", "100"}, {"access", "R/W"}}));
}

TEST_F(ControlChangingVerbs, RevokeRemovesTheEntryFromShow) {
    auto r = ask(R"({"v":1,"verb":"revoke","name":"Beta","kind":"group","principal":"100"})");
    ASSERT_TRUE(ok(r)) << r.dump();
    const auto entries = ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result").at("acl").at("entries");
    EXPECT_EQ(entries, json::array({{{"kind", "user"}, {"principal", "root"}, {"access", "R/W"}}}));
    EXPECT_EQ(r.at("result").at("acl").at("entries"), entries);
}

TEST_F(ControlChangingVerbs, RevokeOfAPrincipalWithoutEntryIsEnoent) {
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"revoke","name":"Beta","kind":"user","principal":"4321"})")), "ENOENT");
}

TEST_F(ControlChangingVerbs, GrantWithABadKindAccessOrUnknownUserIsEinval) {
    for (auto line : {R"({"v":1,"verb":"grant","name":"Beta","kind":"uesr","principal":"root","access":"R/W"})",
                      R"({"v":1,"verb":"grant","name":"Beta","kind":"user","principal":"root","access":"RW"})",
                      R"({"v":1,"verb":"grant","name":"Beta","kind":"user","principal":"md-nobody-xyz","access":"R/W"})",
                      R"({"v":1,"verb":"grant","name":"Beta","kind":"user","principal":"root"})"})
        EXPECT_EQ(code(ask(line)), "EINVAL") << line;
    EXPECT_EQ(ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result").at("acl").at("entries").size(), 2u);
}

// ---- who may change ----

TEST_F(ControlChangingVerbs, NonAdminGetsEpermForEveryChangingVerbAndChangesNothing) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 1234};
    ctx_.caller_groups = {100, 1234};
    for (const json& req :
         {json{{"v", 1}, {"verb", "create"}, {"text", domain_text("Mine")}},
          json{{"v", 1}, {"verb", "destroy"}, {"name", "Alpha"}, {"force", true}},
          json{{"v", 1}, {"verb", "grant"}, {"name", "Alpha"}, {"kind", "user"}, {"principal", "1234"}, {"access", "R/W"}},
          json{{"v", 1}, {"verb", "revoke"}, {"name", "Beta"}, {"kind", "user"}, {"principal", "root"}}}) {
        auto r = ask_json(req);
        EXPECT_EQ(code(r), "EPERM") << req.dump();
        EXPECT_NE(message(r).find("needs root or admin group"), std::string::npos) << message(r);
        EXPECT_NE(message(r).find("4242"), std::string::npos) << "names the admin group: " << message(r);
    }
    EXPECT_EQ(ask(R"({"v":1,"verb":"list"})").at("result").at("domains").size(), 2u);
    EXPECT_EQ(ask(R"({"v":1,"verb":"show","name":"Beta"})").at("result").at("acl").at("entries").size(), 2u);
}

TEST_F(ControlChangingVerbs, NonAdminStillReads) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 1234};
    for (auto line : {R"({"v":1,"verb":"list"})", R"({"v":1,"verb":"show","name":"Alpha"})", R"({"v":1,"verb":"stats"})",
                      R"({"v":1,"verb":"qemu-args","name":"Alpha"})"})
        EXPECT_TRUE(ok(ask(line))) << line;
}

TEST_F(ControlChangingVerbs, NonAdminAskingAboutAnUnknownDomainGetsEpermNotEnoent) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 1234};
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"destroy","name":"Nowhere"})")), "EPERM");
}

TEST_F(ControlChangingVerbs, MemberOfTheAdminGroupMayChange) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 1234};
    ctx_.caller_groups = {4242};
    EXPECT_TRUE(ok(create(domain_text("ByAdmin"))));
    EXPECT_TRUE(ok(ask(R"({"v":1,"verb":"destroy","name":"ByAdmin"})")));
}

TEST_F(ControlChangingVerbs, AdminGroupAsPrimaryGroupCounts) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 4242};
    EXPECT_TRUE(ok(ask(R"({"v":1,"verb":"destroy","name":"Alpha"})")));
}

}  // namespace
}  // namespace memdomain::control
