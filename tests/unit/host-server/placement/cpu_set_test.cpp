// CpuSet: parsing "all" and cpulists, the canonical text form, set operations.
#include "placement/cpu_set.h"

#include <gtest/gtest.h>

using memdomain::placement::CpuSet;

TEST(CpuSet, ParsesListOfCpusAndRanges) {
    auto s = CpuSet::parse("0-3,6");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->cpus(), (std::vector<int>{0, 1, 2, 3, 6}));
    EXPECT_EQ(s->count(), 5u);
    EXPECT_FALSE(s->is_all());
}

TEST(CpuSet, ToStringIsCanonicalKernelForm) {
    auto s = CpuSet::parse(" 6, 3,0-2 ,7,9-9,10 ");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->to_string(), "0-3,6-7,9-10");
    EXPECT_EQ(CpuSet::of({5}).to_string(), "5");
    EXPECT_EQ(CpuSet().to_string(), "");
    EXPECT_EQ(CpuSet::of({8191}).to_string(), "8191");
}

TEST(CpuSet, ToStringRoundTrips) {
    for (const char* text : {"0", "0-1", "1,3,5", "0-8191", "4-7,100-200,8190"}) {
        auto s = CpuSet::parse(text);
        ASSERT_TRUE(s) << text << ": " << s.error().message;
        EXPECT_EQ(s->to_string(), text);
    }
}

TEST(CpuSet, AllContainsEveryCpuAndPrintsAsAll) {
    auto s = CpuSet::parse("all");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->is_all());
    EXPECT_EQ(s->to_string(), "all");
    EXPECT_TRUE(s->contains(0));
    EXPECT_TRUE(s->contains(CpuSet::kMaxCpus - 1));
    EXPECT_FALSE(s->contains(CpuSet::kMaxCpus));
    EXPECT_EQ(s->count(), static_cast<std::size_t>(CpuSet::kMaxCpus));
}

TEST(CpuSet, AllIntersectedWithASetIsThatSet) {
    const auto node = CpuSet::of({4, 5, 6, 7});
    const auto i = CpuSet::all().intersect(node);
    EXPECT_FALSE(i.is_all());
    EXPECT_EQ(i, node);
    EXPECT_EQ(i.to_string(), "4-7");
    EXPECT_TRUE(CpuSet::all().intersect(CpuSet::all()).is_all());
}

TEST(CpuSet, SetOperations) {
    const auto a = CpuSet::of({0, 1, 2, 3});
    const auto b = CpuSet::of({2, 3, 4});
    EXPECT_EQ(a.intersect(b).to_string(), "2-3");
    EXPECT_EQ(a.unite(b).to_string(), "0-4");
    EXPECT_EQ(a.minus(b).to_string(), "0-1");
    EXPECT_TRUE(a.intersects(b));
    EXPECT_FALSE(a.intersects(CpuSet::of({9})));
    EXPECT_TRUE(a.intersect(CpuSet::of({9})).empty());
    EXPECT_TRUE(a.contains(3));
    EXPECT_FALSE(a.contains(4));
    EXPECT_FALSE(a.contains(-1));
    EXPECT_EQ(b.first(), 2);
    EXPECT_EQ(CpuSet().first(), -1);
}

TEST(CpuSet, RejectsMalformedLists) {
    for (const char* text : {"", "  ", "x", "1-", "-1", "3-1", "1,,2", "1,", "0-3:2", "all,1", "1 2", "+1", "ALL"}) {
        auto s = CpuSet::parse(text);
        ASSERT_FALSE(s) << "accepted \"" << text << "\" as " << s->to_string();
        EXPECT_EQ(s.error().sys, EINVAL) << text;
        EXPECT_NE(s.error().message.find("CPU list"), std::string::npos) << s.error().message;
    }
}

TEST(CpuSet, RejectsCpuPastTheLimitNamingIt) {
    auto s = CpuSet::parse("0,8192");
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().sys, EINVAL);
    EXPECT_NE(s.error().message.find("8192"), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find("8191"), std::string::npos) << s.error().message;
    EXPECT_FALSE(CpuSet::parse("99999999999999999999"));
}

TEST(CpuSet, CpulistAcceptsEmptyTextAsEmptySet) {
    auto s = CpuSet::parse_cpulist("\n");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_TRUE(s->empty());
    EXPECT_FALSE(CpuSet::parse("\n"));
}
