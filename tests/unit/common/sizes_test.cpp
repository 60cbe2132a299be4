// Sizes and page classes as written in configs and printed to users.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "memdomain/common/sizes.h"

namespace memdomain {
namespace {

TEST(ParseSize, PlainBytes) {
    EXPECT_EQ(parse_size("4096"), 4096u);
    EXPECT_EQ(parse_size("1"), 1u);
    EXPECT_EQ(parse_size("1536"), 1536u);
}

TEST(ParseSize, SuffixesAreBinaryMultiplesWithOptionalB) {
    EXPECT_EQ(parse_size("512K"), 512 * KiB);
    EXPECT_EQ(parse_size("512KB"), 512 * KiB);
    EXPECT_EQ(parse_size("64M"), 64 * MiB);
    EXPECT_EQ(parse_size("64MB"), 64 * MiB);
    EXPECT_EQ(parse_size("2G"), 2 * GiB);
    EXPECT_EQ(parse_size("1T"), 1024 * GiB);
    EXPECT_EQ(parse_size("1TB"), 1024 * GiB);
    EXPECT_EQ(parse_size("7B"), 7u);
}

// The header documents "64m" as accepted: suffixes are case-insensitive.
TEST(ParseSize, SuffixesAreCaseInsensitive) {
    EXPECT_EQ(parse_size("64m"), 64 * MiB);
    EXPECT_EQ(parse_size("64mb"), 64 * MiB);
    EXPECT_EQ(parse_size("64mB"), 64 * MiB);
    EXPECT_EQ(parse_size("1g"), 1 * GiB);
}

TEST(ParseSize, ZeroIsRefused) {
    EXPECT_FALSE(parse_size("0"));
    EXPECT_FALSE(parse_size("0K"));
    EXPECT_FALSE(parse_size("000"));
}

TEST(ParseSize, FractionsAreRefused) {
    EXPECT_FALSE(parse_size("1.5G"));
    EXPECT_FALSE(parse_size("1.0"));
}

TEST(ParseSize, UnknownUnitsAreRefused) {
    EXPECT_FALSE(parse_size("12Q"));
    EXPECT_FALSE(parse_size("1P"));
    EXPECT_FALSE(parse_size("1E"));
}

TEST(ParseSize, IecSpellingsAreRefused) {
    EXPECT_FALSE(parse_size("2MiB"));
    EXPECT_FALSE(parse_size("1GiB"));
    EXPECT_FALSE(parse_size("4Ki"));
}

TEST(ParseSize, MalformedTextIsRefused) {
    for (const char* s : {"", "K", "MB", "-1", "+1", " 1", "1 ", "1KBB", "1BB", "0x10", "1_000", "1K2", "1,5"})
        EXPECT_FALSE(parse_size(s)) << "'" << s << "'";
}

TEST(ParseSize, LargestValueFits) {
    EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
    EXPECT_EQ(parse_size("16777215T"), std::uint64_t{16777215} * 1024 * GiB);
}

TEST(ParseSize, OverflowIsRefused) {
    EXPECT_FALSE(parse_size("18446744073709551616"));
    EXPECT_FALSE(parse_size("99999999999999999999999"));
    EXPECT_FALSE(parse_size("16777216T"));  // 2^64
    EXPECT_FALSE(parse_size("17179869184G"));
}

TEST(FormatSize, UsesTheLargestExactUnit) {
    EXPECT_EQ(format_size(67108864), "64M");
    EXPECT_EQ(format_size(1024), "1K");
    EXPECT_EQ(format_size(1536 * KiB), "1536K");
    EXPECT_EQ(format_size(3 * GiB), "3G");
    EXPECT_EQ(format_size(1024 * GiB), "1T");
    EXPECT_EQ(format_size(2048 * 1024 * GiB), "2048T");
}

TEST(FormatSize, NeverRounds) {
    EXPECT_EQ(format_size(1536), "1536");
    EXPECT_EQ(format_size(1025), "1025");
    EXPECT_EQ(format_size(0), "0");
    EXPECT_EQ(format_size(UINT64_MAX), "18446744073709551615");
}

TEST(FormatSize, ParseSizeReadsBackWhatFormatSizePrints) {
    for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{4095}, 4 * KiB, 2 * MiB + 4 * KiB, 96 * MiB, 1 * GiB,
                            5 * 1024 * GiB, UINT64_MAX, UINT64_MAX - UINT64_MAX % KiB})
        EXPECT_EQ(parse_size(format_size(v)), v) << format_size(v);
}

TEST(PageClass, NamesAndSizes) {
    EXPECT_EQ(page_size_of(PageClass::k4K), 4 * KiB);
    EXPECT_EQ(page_size_of(PageClass::k2M), 2 * MiB);
    EXPECT_EQ(page_size_of(PageClass::k1G), 1 * GiB);
    EXPECT_EQ(to_string(PageClass::k4K), "4K");
    EXPECT_EQ(to_string(PageClass::k2M), "2M");
    EXPECT_EQ(to_string(PageClass::k1G), "1G");
}

TEST(PageClass, ParsesEverySpellingInAnyCase) {
    EXPECT_EQ(parse_page_class("4K"), PageClass::k4K);
    EXPECT_EQ(parse_page_class("4KB"), PageClass::k4K);
    EXPECT_EQ(parse_page_class("4k"), PageClass::k4K);
    EXPECT_EQ(parse_page_class("2M"), PageClass::k2M);
    EXPECT_EQ(parse_page_class("2mb"), PageClass::k2M);
    EXPECT_EQ(parse_page_class("1G"), PageClass::k1G);
    EXPECT_EQ(parse_page_class("1gB"), PageClass::k1G);
}

TEST(PageClass, OtherSizesAreNotPageClasses) {
    for (const char* s : {"", "8K", "3M", "4M", "2G", "1T", "4", "1.5G", "2MiB", "K", "huge"})
        EXPECT_FALSE(parse_page_class(s)) << "'" << s << "'";
}

TEST(SizeHelpers, PowerOfTwo) {
    EXPECT_FALSE(is_power_of_two(0));
    EXPECT_TRUE(is_power_of_two(1));
    EXPECT_TRUE(is_power_of_two(4096));
    EXPECT_FALSE(is_power_of_two(96 * MiB));
    EXPECT_TRUE(is_power_of_two(std::uint64_t{1} << 63));
    EXPECT_FALSE(is_power_of_two(UINT64_MAX));
}

TEST(SizeHelpers, RoundUp) {
    EXPECT_EQ(round_up(0, 4096), 0u);
    EXPECT_EQ(round_up(1, 4096), 4096u);
    EXPECT_EQ(round_up(4096, 4096), 4096u);
    EXPECT_EQ(round_up(4097, 4096), 8192u);
}

}  // namespace
}  // namespace memdomain
