// Runs the C scenarios of capi_client.c against a real memdomaind.
#include <gtest/gtest.h>

#include <cerrno>

#include "capi_client.h"
#include "memdomain/memdomain.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

const std::string kConfig = domain_config("CApi");

class CApi : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }
    const char* dir() const { return server_.socket_dir().c_str(); }
    Server server_{kConfig};
};

TEST_F(CApi, OpenFillsEveryAccessor) {
    c_description d{};
    ASSERT_EQ(c_describe(dir(), "CApi", &d), 0) << md_last_error();
    EXPECT_STREQ(d.name, "CApi");
    EXPECT_EQ(d.data_size, (1u << 20) - 8192u);
    EXPECT_EQ(d.page_size, 4096u);
    EXPECT_EQ(d.access, MD_ACCESS_RW);
    EXPECT_EQ(d.interrupt_mode, MD_INTERRUPT_EVENTFD);
    EXPECT_EQ(d.vectors, 2u);
    EXPECT_NE(d.generation, 0u);
}

TEST_F(CApi, OpenOfAMissingDomainIsENOENTWithAMessage) {
    EXPECT_EQ(c_open_missing(dir(), "Absent"), -ENOENT) << md_last_error();
    EXPECT_NE(std::string(md_last_error()).find("Absent"), std::string::npos) << md_last_error();
}

TEST_F(CApi, TwoHandlesShareBytesAndDoorbells) {
    EXPECT_EQ(c_two_handles_talk(dir(), "CApi"), 0) << "failed check at capi_client.c line shown (negated); last error: "
                                                    << md_last_error();
}

TEST_F(CApi, ArgumentErrorsAreNegativeErrnos) {
    EXPECT_EQ(c_argument_errors(dir(), "CApi"), 0) << "failed check at capi_client.c line shown (negated); last error: "
                                                   << md_last_error();
}

TEST_F(CApi, ZeroedOptionsMeanTheDefaultTimeout) {
    EXPECT_EQ(c_zeroed_options_open(dir(), "CApi"), 0) << md_last_error();
}

TEST_F(CApi, RefreshReportsServerHangUpAsNegativeEconnreset) {
    auto kill_server = [](void* ctx) { static_cast<Server*>(ctx)->process().kill(); };
    EXPECT_EQ(c_refresh_after_server_death(dir(), "CApi", kill_server, &server_), -ECONNRESET) << md_last_error();
}

TEST_F(CApi, SegmentInfoAgreesWithTheSegmentZeroAccessors) {
    EXPECT_EQ(c_segment_info(dir(), "CApi"), 0) << "failed check at capi_client.c line shown (negated); last error: "
                                                << md_last_error();
}

TEST_F(CApi, OpenExChoosesTheReaderThread) {
    EXPECT_EQ(c_open_ex_reader_flags(dir(), "CApi"), 0)
        << "failed check at capi_client.c line shown (negated); last error: " << md_last_error();
}

TEST(CApiOptions, InitSetsTheDocumentedDefaults) { EXPECT_TRUE(c99_defaults_ok()); }

}  // namespace
}  // namespace memdomain::test
