// Restarts that meet a changed config. A domain whose geometry changed: the
// memory kept from before wins (nothing stored is lost), a warning says so,
// and the control plane shows the kept size, not the file's. A broken file:
// memdomaind cannot start, the keeper keeps retrying with the memory in
// hand, and once the file is fixed the memory is served again. A domain gone
// from the file: its stored memory is still served, as an "adopted" domain.
#include <signal.h>

#include <gtest/gtest.h>

#include "keeper_server.h"
#include "restart_helpers.h"

namespace memdomain::test {
namespace {

std::string config(const std::string& size) {
    return "memdomain Geo {\n"
           "    size {\n"
           "        huge 4K = " + size + " R/W\n"
           "    }\n"
           "}\n";
}

TEST(KeeperConfigChange, StoredMemoryWinsOverTheChangedConfigAndAWarningSaysSo) {
    KeeperServer server(config("1MB"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto peer = open_domain(server.socket_dir(), "Geo");
    ASSERT_TRUE(peer) << peer.error().message;
    write_data(*peer, "geometry-pattern");
    const std::uint64_t generation = peer->generation();

    server.write_config(config("2MB"));
    ASSERT_TRUE(kill9_and_wait(server));

    const std::string log = server.log();
    EXPECT_NE(log.find("domain Geo: the config describes another geometry than the memory kept from before the "
                       "restart (segment 0 size (1M -> 2M)); the kept memory wins"),
              std::string::npos)
        << log;
    auto shown = ctl_show(server.socket_dir(), "Geo");
    ASSERT_TRUE(shown) << log;
    EXPECT_EQ((*shown)["segments"][0]["size"].get<std::uint64_t>(), 1u << 20) << shown->dump(2);
    const CtlResult text = run_ctl(server.socket_dir(), {"show", "Geo"});
    EXPECT_NE(text.output.find("segment 0: 1M of 4K pages"), std::string::npos) << text.output;

    auto fresh = open_domain(server.socket_dir(), "Geo");
    ASSERT_TRUE(fresh) << fresh.error().message << "\n" << log;
    EXPECT_EQ(fresh->generation(), generation);
    EXPECT_EQ(fresh->segments().at(0).size, std::size_t{1} << 20);
    EXPECT_EQ(data_head(*fresh), "geometry-pattern");
}

TEST(KeeperConfigChange, BrokenConfigAtRestartKeepsTheMemoryUntilTheFileIsFixed) {
    KeeperServer server(config("1MB"));
    ASSERT_TRUE(server.ok()) << server.start_error();
    std::uint64_t generation = 0;
    {
        auto peer = open_domain(server.socket_dir(), "Geo");
        ASSERT_TRUE(peer) << peer.error().message;
        write_data(*peer, "waits-for-a-good-config");
        generation = peer->generation();
    }
    server.write_config("memdomain Geo {\n    size {\n        huge 4K = 1MB R/W\n    }\n    colour = blue\n}\n");
    const pid_t before = server.daemon_pid();
    ASSERT_TRUE(server.signal_daemon(SIGKILL));
    // At least one memdomaind refuses the file and exits 1.
    EXPECT_TRUE(eventually([&] { return server.log().find("exited with status 1") != std::string::npos; }))
        << server.log();
    EXPECT_NE(server.log().find("memdomain.conf:5:"), std::string::npos) << "the error names the position\n"
                                                                          << server.log();
    server.write_config(config("1MB"));
    ASSERT_NE(server.wait_ready(before, std::chrono::seconds(10)), 0) << server.log();
    auto fresh = open_domain(server.socket_dir(), "Geo");
    ASSERT_TRUE(fresh) << fresh.error().message << "\n" << server.log();
    EXPECT_EQ(fresh->generation(), generation);
    EXPECT_EQ(data_head(*fresh), "waits-for-a-good-config");
}

TEST(KeeperConfigChange, DomainGoneFromTheFileIsServedAsAdoptedAfterARestart) {
    KeeperServer server(config("1MB") + "memdomain Other {\n    size {\n        huge 4K = 1MB R/W\n    }\n}\n");
    ASSERT_TRUE(server.ok()) << server.start_error();
    auto peer = open_domain(server.socket_dir(), "Geo");
    ASSERT_TRUE(peer) << peer.error().message;
    write_data(*peer, "orphaned-but-kept");

    server.write_config("memdomain Other {\n    size {\n        huge 4K = 1MB R/W\n    }\n}\n");
    ASSERT_TRUE(kill9_and_wait(server));
    EXPECT_NE(server.log().find("domain Geo: memory from the fd store that no config names"), std::string::npos)
        << server.log();
    auto shown = ctl_show(server.socket_dir(), "Geo");
    ASSERT_TRUE(shown) << server.log();
    EXPECT_EQ((*shown)["origin"], "adopted");
    auto fresh = open_domain(server.socket_dir(), "Geo");
    ASSERT_TRUE(fresh) << fresh.error().message;
    EXPECT_EQ(fresh->generation(), peer->generation());
    EXPECT_EQ(data_head(*fresh), "orphaned-but-kept");
}

}  // namespace
}  // namespace memdomain::test
