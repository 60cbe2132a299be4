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
