// Runs the C scenarios of datapath_c_client.c against a real memdomaind.
#include <gtest/gtest.h>

#include "datapath_c_client.h"
#include "memdomain/memdomain.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

class DatapathCApi : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }
    const char* dir() const { return server_.socket_dir().c_str(); }
    Server server_{domain_config("DpC", "4MB")};
};

TEST_F(DatapathCApi, ArenaClaimAllocationAndDirectoryFromC) {
    EXPECT_EQ(dp_c_arena_and_directory(dir(), "DpC"), 0) << "failed check at datapath_c_client.c line shown (negated); "
                                                         << "last error: " << md_last_error();
}

TEST_F(DatapathCApi, CopyAndZeroCopyChannelsFromC) {
    EXPECT_EQ(dp_c_channels(dir(), "DpC"), 0) << "failed check at datapath_c_client.c line shown (negated); "
                                              << "last error: " << md_last_error();
}

TEST_F(DatapathCApi, ArgumentErrorsAreNegativeErrnos) {
    EXPECT_EQ(dp_c_argument_errors(dir(), "DpC"), 0) << "failed check at datapath_c_client.c line shown (negated); "
                                                     << "last error: " << md_last_error();
}

}  // namespace
}  // namespace memdomain::test
