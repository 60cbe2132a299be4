// The trade-off without a service manager: a plain memdomaind (no
// $NOTIFY_SOCKET) warns at start that its memory will not survive, and after
// a restart a domain is a fresh instance (another generation, zeroed data).
#include <gtest/gtest.h>

#include <cstdlib>

#include "restart_helpers.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

TEST(NoFdStore, WarnsAtStartAndARestartGivesAFreshDomain) {
    ::unsetenv("NOTIFY_SOCKET");  // whatever ran the tests, memdomaind gets no store
    Server server(domain_config("Plain", "1MB", 1));
    ASSERT_TRUE(server.ok()) << server.start_error();
    EXPECT_NE(server.log().find("no fd store ($NOTIFY_SOCKET unset): domain memory will not survive a restart"),
              std::string::npos)
        << server.log();
    std::uint64_t generation = 0;
    {
        auto peer = open_domain(server.socket_dir(), "Plain");
        ASSERT_TRUE(peer) << peer.error().message;
        write_data(*peer, "lost-on-restart");
        generation = peer->generation();
    }
    ASSERT_TRUE(server.restart()) << server.start_error();  // kill -9, start again
    auto fresh = open_domain(server.socket_dir(), "Plain");
    ASSERT_TRUE(fresh) << fresh.error().message << "\n" << server.log();
    EXPECT_NE(fresh->generation(), generation) << "a new instance";
    EXPECT_EQ(data_head(*fresh), "") << "fresh memory is zeroed";
}

}  // namespace
}  // namespace memdomain::test
