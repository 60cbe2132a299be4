// AccessList: who gets what, from kernel credentials only.
#include "acl/acl.h"

#include <gtest/gtest.h>
#include <unistd.h>

using namespace memdomain;
using namespace memdomain::server;
using config::AclEntry;

namespace {
AclEntry entry(AclEntry::Kind k, std::string who, SegmentAccess a) {
    AclEntry e;
    e.kind = k;
    e.principal = std::move(who);
    e.access = a;
    e.where = {"test.conf", 3, 9};
    return e;
}
constexpr auto RW = SegmentAccess::ReadWrite;
constexpr auto RO = SegmentAccess::ReadOnly;
}  // namespace

TEST(AccessList, NoBlockAdmitsRootAndServerUserOnly) {
    auto acl = AccessList::from_config(std::nullopt);
    ASSERT_TRUE(acl);
    EXPECT_EQ(*acl->decide({0, 0, {}}, RW), RW);
    EXPECT_EQ(*acl->decide({::geteuid(), ::getegid(), {}}, RW), RW);
    if (::geteuid() != 4242) {
        auto r = acl->decide({4242, 4242, {}}, RW);
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().message.find("uid 4242"), std::string::npos);
    }
}

TEST(AccessList, SegmentReadOnlyCapsEveryGrant) {
    auto acl = AccessList::from_config(std::nullopt);
    EXPECT_EQ(*acl->decide({0, 0, {}}, RO), RO);
    auto acl2 = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "1001", RW)});
    EXPECT_EQ(*acl2->decide({1001, 1001, {}}, RO), RO);
}

TEST(AccessList, UserEntryMatchesUidOnly) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "1001", RW)});
    ASSERT_TRUE(acl);
    EXPECT_EQ(*acl->decide({1001, 50, {}}, RW), RW);
    EXPECT_FALSE(acl->decide({1002, 1001, {1001}}, RW));
}

TEST(AccessList, RootIsNotSpecialOnceABlockExists) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "1001", RW)});
    EXPECT_FALSE(acl->decide({0, 0, {}}, RW));
}

TEST(AccessList, GroupEntryMatchesPrimaryAndSupplementaryGroups) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Group, "777", RO)});
    EXPECT_EQ(*acl->decide({1001, 777, {}}, RW), RO);
    EXPECT_EQ(*acl->decide({1001, 1001, {5, 777}}, RW), RO);
    EXPECT_FALSE(acl->decide({1001, 1001, {5, 6}}, RW));
}

TEST(AccessList, HighestMatchingGrantWins) {
    auto acl = AccessList::from_config(
        std::vector{entry(AclEntry::Kind::Group, "777", RO), entry(AclEntry::Kind::User, "1001", RW)});
    EXPECT_EQ(*acl->decide({1001, 777, {}}, RW), RW);
    EXPECT_EQ(*acl->decide({1002, 777, {}}, RW), RO);
}

TEST(AccessList, NamesResolveThroughTheSystemDatabase) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "root", RW)});
    ASSERT_TRUE(acl);
    EXPECT_EQ(*acl->decide({0, 0, {}}, RW), RW);
}

TEST(AccessList, UnknownNameIsAnErrorWithItsLocation) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Group, "no-such-group-xyz", RO)});
    ASSERT_FALSE(acl);
    EXPECT_EQ(acl.error().message, "test.conf:3:9: unknown group 'no-such-group-xyz'");
}

// --- libvirt VMs ---------------------------------------------------------------
namespace {
ClientIdentity vm_client(const std::string& vm, uid_t uid = 0) { return {uid, uid, {}, vm}; }
ClientIdentity process(uid_t uid) { return {uid, uid, {}, std::nullopt}; }
}  // namespace

TEST(AccessListVm, AVmIsJudgedByItsVmEntriesNeverByItsUid) {
    auto acl = AccessList::from_config(
        std::vector{entry(AclEntry::Kind::User, "root", RW), entry(AclEntry::Kind::Vm, "web1", RW)});
    ASSERT_TRUE(acl) << acl.error().message;
    EXPECT_EQ(*acl->decide(vm_client("web1"), RW), RW);
    auto other = acl->decide(vm_client("web2"), RW);
    ASSERT_FALSE(other) << "VM web2 runs as root, whom the block admits, but it is granted nothing as a VM";
    EXPECT_NE(other.error().message.find("libvirt VM 'web2'"), std::string::npos) << other.error().message;
    EXPECT_EQ(*acl->decide(process(0), RW), RW) << "a root process that is no VM still gets its user entry";
}

TEST(AccessListVm, VmEntriesNeverMatchProcessesThatAreNoVm) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "web1", RW)});
    ASSERT_TRUE(acl);
    EXPECT_FALSE(acl->decide(process(0), RW));
    EXPECT_FALSE(acl->decide(process(1001), RW));
}

TEST(AccessListVm, TheWildcardAdmitsOnlyThroughALease) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "*", RW)});
    ASSERT_TRUE(acl);
    EXPECT_FALSE(acl->decide(vm_client("web1"), RW)) << "'vm *' is a permission to lease, not a grant";
    EXPECT_FALSE(acl->decide(vm_client("*"), RW)) << "a VM literally named '*' gets nothing from the wildcard";
    EXPECT_EQ(*acl->decide(vm_client("web1"), RW, {{"web1", RW}}), RW);
    EXPECT_FALSE(acl->decide(vm_client("web2"), RW, {{"web1", RW}}));
}

TEST(AccessListVm, WithoutAnAccessBlockAVmNeedsALease) {
    auto acl = AccessList::from_config(std::nullopt);
    ASSERT_TRUE(acl);
    EXPECT_FALSE(acl->decide(vm_client("web1", 0), RW)) << "root's default does not extend to a root QEMU";
    EXPECT_EQ(*acl->decide(vm_client("web1", 0), RW, {{"web1", RO}}), RO);
    EXPECT_EQ(*acl->decide(process(0), RW), RW);
}

TEST(AccessListVm, TheHighestOfEntryAndLeaseWinsAndTheSegmentCapsIt) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "probe", RO)});
    ASSERT_TRUE(acl);
    EXPECT_EQ(*acl->decide(vm_client("probe"), RW), RO);
    EXPECT_EQ(*acl->decide(vm_client("probe"), RW, {{"probe", RW}}), RW);
    EXPECT_EQ(*acl->decide(vm_client("probe"), RO, {{"probe", RW}}), RO);
}

TEST(AccessListVm, PermissionIsTheBestOfTheNamedAndTheWildcardEntry) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "probe", RO),
                                                   entry(AclEntry::Kind::Vm, "*", RW),
                                                   entry(AclEntry::Kind::User, "root", RW)});
    ASSERT_TRUE(acl);
    EXPECT_EQ(acl->vm_permission("probe"), RW);
    EXPECT_EQ(acl->vm_permission("anyone"), RW);
    auto narrow = AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "probe", RO)});
    EXPECT_EQ(narrow->vm_permission("probe"), RO);
    EXPECT_FALSE(narrow->vm_permission("web1"));
    EXPECT_FALSE(AccessList::from_config(std::nullopt)->vm_permission("web1"));
}

// --- read-only grants the kernel cannot enforce (issue: R/O for root) -----------
TEST(AccessListReadOnly, ReadOnlyForRootIsRefusedWithItsLocationAndWhy) {
    for (const char* root : {"root", "0"}) {
        auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, root, RO)});
        ASSERT_FALSE(acl) << root;
        EXPECT_EQ(acl.error().sys, EINVAL);
        const std::string& m = acl.error().message;
        EXPECT_EQ(m.rfind("test.conf:3:9: a read-only grant to user root cannot be enforced", 0), 0u) << m;
        EXPECT_NE(m.find("/proc/self/fd"), std::string::npos) << m;
    }
}

TEST(AccessListReadOnly, ReadOnlyForTheServersOwnUserIsRefused) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::User, std::to_string(::geteuid()), RO)});
    ASSERT_FALSE(acl);
    EXPECT_NE(acl.error().message.find("cannot be enforced"), std::string::npos) << acl.error().message;
}

TEST(AccessListReadOnly, ReadOnlyForAGroupHoldingRootIsRefused) {
    auto acl = AccessList::from_config(std::vector{entry(AclEntry::Kind::Group, "root", RO)});
    ASSERT_FALSE(acl);
    EXPECT_NE(acl.error().message.find("group 'root', which includes root"), std::string::npos)
        << acl.error().message;
}

TEST(AccessListReadOnly, ReadOnlyForOthersAndForVmsAndReadWriteForRootAreFine) {
    EXPECT_TRUE(AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "root", RW)}));
    EXPECT_TRUE(AccessList::from_config(std::vector{entry(AclEntry::Kind::Group, "777", RO)}));
    EXPECT_TRUE(AccessList::from_config(std::vector{entry(AclEntry::Kind::User, "4242", RO)}));
    EXPECT_TRUE(AccessList::from_config(std::vector{entry(AclEntry::Kind::Vm, "probe", RO)}))
        << "a R/O VM is held by QEMU's readonly=on mapping, whatever user QEMU runs as";
}

TEST(AccessListReadOnly, AGrantThroughTheControlSocketHasNoLocationToShow) {
    AclEntry e = entry(AclEntry::Kind::User, "root", RO);
    e.where = {"request", 0, 0};
    auto acl = AccessList::from_config(std::vector{e});
    ASSERT_FALSE(acl);
    EXPECT_EQ(acl.error().message.rfind("a read-only grant to user root", 0), 0u) << acl.error().message;
}
