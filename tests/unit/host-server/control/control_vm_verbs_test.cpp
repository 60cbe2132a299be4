// The control verbs for libvirt VMs against a real registry: "vm" entries
// through grant and revoke, leases (grant with "lease", the hook's
// permission-checked lease, release), libvirt-xml's forms, and read-only
// grants the kernel could not enforce (root, the server's user) refused.
#include "control_verbs_fixture.h"

namespace memdomain::control {
namespace {

class ControlVmVerbs : public ControlVerbs {
protected:
    json acl(const char* domain) {
        return ask_json({{"v", 1}, {"verb", "show"}, {"name", domain}}).at("result").at("acl");
    }
    json leases(const char* domain) { return acl(domain).at("leases"); }
    json grant(const char* domain, const char* kind, const std::string& who, const char* access, bool lease = false) {
        json req = {{"v", 1}, {"verb", "grant"}, {"name", domain}, {"kind", kind}, {"principal", who}, {"access", access}};
        if (lease) req["lease"] = true;
        return ask_json(req);
    }
    json lease(const char* domain, const std::string& vm, const char* access) {
        return ask_json({{"v", 1}, {"verb", "lease"}, {"name", domain}, {"vm", vm}, {"access", access}});
    }
    json release(const std::string& vm, const char* domain = nullptr) {
        json req = {{"v", 1}, {"verb", "release"}, {"vm", vm}};
        if (domain) req["name"] = domain;
        return ask_json(req);
    }
};

TEST_F(ControlVmVerbs, GrantOfAVmIsAnEntryOfKindVmAndTheWildcardIsOne) {
    ASSERT_TRUE(ok(grant("Beta", "vm", "web1", "R/W"))) << acl("Beta").dump();
    ASSERT_TRUE(ok(grant("Beta", "vm", "*", "R/O")));
    const json entries = acl("Beta").at("entries");
    EXPECT_EQ(entries[2], json({{"kind", "vm"}, {"principal", "web1"}, {"access", "R/W"}}));
    EXPECT_EQ(entries[3], json({{"kind", "vm"}, {"principal", "*"}, {"access", "R/O"}}));
    ASSERT_TRUE(ok(ask(R"({"v":1,"verb":"revoke","name":"Beta","kind":"vm","principal":"web1"})")));
    EXPECT_EQ(acl("Beta").at("entries").size(), 3u);
}

TEST_F(ControlVmVerbs, AVmNameWithASlashOrNothingIsEinval) {
    for (const char* bad : {"a/b", "", ".."}) EXPECT_EQ(code(grant("Beta", "vm", bad, "R/W")), "EINVAL") << bad;
    EXPECT_EQ(code(lease("Beta", "x/y", "R/W")), "EINVAL");
    EXPECT_EQ(acl("Beta").at("entries").size(), 2u);
}

TEST_F(ControlVmVerbs, AGrantedLeaseIsALeaseNotAnEntry) {
    auto r = grant("Alpha", "vm", "web1", "R/W", /*lease=*/true);
    ASSERT_TRUE(ok(r)) << r.dump();
    EXPECT_EQ(leases("Alpha"), json::array({{{"vm", "web1"}, {"access", "R/W"}}}));
    EXPECT_FALSE(acl("Alpha").at("explicit").get<bool>()) << "a lease leaves the access block as it was";
    EXPECT_EQ(code(grant("Alpha", "user", "root", "R/W", true)), "EINVAL") << "a lease is for a named VM";
    EXPECT_EQ(code(grant("Alpha", "vm", "*", "R/W", true)), "EINVAL");
}

TEST_F(ControlVmVerbs, TheHooksLeaseIsRefusedUnlessTheAccessBlockPermitsTheVm) {
    auto r = lease("Alpha", "web1", "R/W");
    EXPECT_EQ(code(r), "EACCES");
    EXPECT_NE(message(r).find("domain 'Alpha' permits VM 'web1' nothing"), std::string::npos) << message(r);
    EXPECT_TRUE(leases("Alpha").empty());
}

TEST_F(ControlVmVerbs, AReadOnlyPermissionRefusesAReadWriteLease) {
    ASSERT_TRUE(ok(grant("Alpha", "vm", "probe", "R/O")));
    auto r = lease("Alpha", "probe", "R/W");
    EXPECT_EQ(code(r), "EACCES");
    EXPECT_NE(message(r).find("read-only"), std::string::npos) << message(r);
    EXPECT_TRUE(ok(lease("Alpha", "probe", "R/O")));
    EXPECT_EQ(leases("Alpha"), json::array({{{"vm", "probe"}, {"access", "R/O"}}}));
}

TEST_F(ControlVmVerbs, TheWildcardPermitsLeasesToAnyNamedVm) {
    ASSERT_TRUE(ok(grant("Alpha", "vm", "*", "R/W")));
    ASSERT_TRUE(ok(lease("Alpha", "web1", "R/W")));
    ASSERT_TRUE(ok(lease("Alpha", "web2", "R/O")));
    EXPECT_EQ(leases("Alpha").size(), 2u);
    EXPECT_EQ(code(lease("Alpha", "*", "R/W")), "EINVAL");
}

TEST_F(ControlVmVerbs, ReleaseDropsTheVmsLeasesOnEveryDomainOrOnOne) {
    ASSERT_TRUE(ok(grant("Alpha", "vm", "web1", "R/W", true)));
    ASSERT_TRUE(ok(grant("Beta", "vm", "web1", "R/O", true)));
    ASSERT_TRUE(ok(grant("Beta", "vm", "web2", "R/O", true)));
    auto one = release("web1", "Beta");
    ASSERT_TRUE(ok(one)) << one.dump();
    EXPECT_EQ(one.at("result").at("released"), json::array({"Beta"}));
    EXPECT_EQ(leases("Alpha").size(), 1u);
    auto all = release("web1");
    EXPECT_EQ(all.at("result").at("released"), json::array({"Alpha"}));
    EXPECT_TRUE(leases("Alpha").empty());
    EXPECT_EQ(leases("Beta"), json::array({{{"vm", "web2"}, {"access", "R/O"}}})) << "other VMs keep theirs";
    auto none = release("web1");
    ASSERT_TRUE(ok(none));
    EXPECT_TRUE(none.at("result").at("released").empty());
    EXPECT_EQ(code(release("web1", "Nowhere")), "ENOENT");
}

TEST_F(ControlVmVerbs, RevokingAVmTakesItsLeaseToo) {
    ASSERT_TRUE(ok(grant("Alpha", "vm", "web1", "R/W", true)));
    ASSERT_TRUE(ok(ask(R"({"v":1,"verb":"revoke","name":"Alpha","kind":"vm","principal":"web1"})")));
    EXPECT_TRUE(leases("Alpha").empty());
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"revoke","name":"Alpha","kind":"vm","principal":"web1"})")), "ENOENT");
}

TEST_F(ControlVmVerbs, LeasesOutliveAReloadThatResetsRuntimeGrants) {
    ASSERT_TRUE(ok(grant("Beta", "vm", "*", "R/W")));
    ASSERT_TRUE(ok(lease("Beta", "web1", "R/W")));
    auto cfg = config::parse_config(kConfig, "<test>");
    ASSERT_TRUE(cfg);
    (void)reg_->reload(*cfg);
    EXPECT_EQ(acl("Beta").at("entries").size(), 2u) << "the runtime grant went back to the file";
    EXPECT_EQ(leases("Beta"), json::array({{{"vm", "web1"}, {"access", "R/W"}}})) << "the running VM keeps its lease";
}

TEST_F(ControlVmVerbs, ReadOnlyGrantsTheKernelCannotEnforceAreEinvalAndChangeNothing) {
    for (const auto& [kind, who] : {std::pair{"user", "root"}, std::pair{"user", "0"}, std::pair{"group", "0"}}) {
        auto r = grant("Beta", kind, who, "R/O");
        EXPECT_EQ(code(r), "EINVAL") << kind << " " << who;
        EXPECT_NE(message(r).find("cannot be enforced"), std::string::npos) << message(r);
    }
    EXPECT_EQ(acl("Beta").at("entries").size(), 2u);
    EXPECT_TRUE(ok(grant("Beta", "vm", "probe", "R/O"))) << "a VM's R/O is QEMU's readonly=on";
}

TEST_F(ControlVmVerbs, LibvirtXmlGivesTheFormTheVmsGrantCallsFor) {
    ASSERT_TRUE(ok(grant("Alpha", "vm", "probe", "R/O")));
    ASSERT_TRUE(ok(grant("Alpha", "vm", "web1", "R/W")));
    auto ro = ask(R"({"v":1,"verb":"libvirt-xml","name":"Alpha","vm":"probe"})");
    ASSERT_TRUE(ok(ro)) << ro.dump();
    EXPECT_EQ(ro.at("result").at("form"), "readonly");
    EXPECT_EQ(ro.at("result").at("access"), "R/O");
    const std::string xml = ro.at("result").at("xml").get<std::string>();
    EXPECT_EQ(xml.rfind("<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>", 0), 0u) << xml;
    EXPECT_NE(xml.find("&quot;readonly&quot;:true"), std::string::npos) << xml;
    EXPECT_NE(xml.find(dir_.path() + "/ns/Alpha"), std::string::npos) << xml;
    EXPECT_NE(xml.find("ivshmem-plain"), std::string::npos) << xml;
    auto rw = ask(R"({"v":1,"verb":"libvirt-xml","name":"Alpha","vm":"web1"})");
    EXPECT_EQ(rw.at("result").at("form"), "doorbell");
    EXPECT_EQ(rw.at("result").at("xml").get<std::string>().rfind("<shmem name='Alpha'>", 0), 0u);
    EXPECT_EQ(code(ask(R"({"v":1,"verb":"libvirt-xml","name":"Alpha","vm":"stranger"})")), "EACCES");
    auto asked = ask(R"({"v":1,"verb":"libvirt-xml","name":"Alpha","readonly":true})");
    EXPECT_EQ(asked.at("result").at("form"), "readonly");
    EXPECT_EQ(asked.at("result").at("objects")[0].at("readonly"), true);
    EXPECT_EQ(asked.at("result").at("devices")[0].at("driver"), "ivshmem-plain");
}

TEST_F(ControlVmVerbs, ADomainWithAReadOnlySegmentOffersOnlyTheReadOnlyForm) {
    auto r = ask(R"({"v":1,"verb":"libvirt-xml","name":"Beta"})");
    ASSERT_TRUE(ok(r)) << r.dump();
    EXPECT_EQ(r.at("result").at("form"), "readonly");
    EXPECT_TRUE(r.at("result").at("doorbell_xml").is_null());
    EXPECT_EQ(r.at("result").at("objects").size(), 2u) << "one read-only backend per segment";
    EXPECT_EQ(r.at("result").at("devices")[1].at("id"), "mdro-Beta-1");
}

TEST_F(ControlVmVerbs, LeaseAndReleaseNeedAnAdministrator) {
    ctx_.caller = sys::PeerCredentials{::getpid(), 1234, 1234};
    ctx_.caller_groups = {1234};
    EXPECT_EQ(code(lease("Alpha", "web1", "R/W")), "EPERM");
    EXPECT_EQ(code(release("web1")), "EPERM");
}

}  // namespace
}  // namespace memdomain::control
