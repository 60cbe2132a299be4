// SIGHUP applies every setting that can change without touching memory —
// grace, cpualias of a numa domain without instances, the server block's
// listen backlog and queue limit — each logged as applied and visible in
// `show` or on the socket; and every setting the memory embodies is refused
// with one warning that names the domain and each key.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "ivshmem_greeting.h"
#include "memdomain/sys/socket.h"
#include "reload_fixture.h"

namespace memdomain::test {
namespace {

// A domain "D" with `body` before its size block and `size` as its one line.
std::string domain(const std::string& body, const std::string& size = "huge 4K = 1MB R/W") {
    return "memdomain D {\n" + body + "    size {\n        " + size + "\n    }\n}\n";
}

std::string dynamic_with_grace(const std::string& grace) {
    return domain("    policy = dynamic\n    grace = " + grace + "\n");
}

// The listen backlog of a UNIX socket, as ss(8) shows it (Send-Q of a
// listening socket); -1 when ss does not list it.
long listen_backlog(const std::string& path) {
    FILE* p = ::popen(("ss -xlnH src " + path + " 2>/dev/null").c_str(), "r");
    if (p == nullptr) return -1;
    char buf[512] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, p);
    ::pclose(p);
    std::istringstream in(std::string(buf, n));
    std::string netid, state;
    long recv_q = -1, send_q = -1;
    if (!(in >> netid >> state >> recv_q >> send_q)) return -1;
    return send_q;
}

class ReloadSettings : public Reload {
protected:
    nlohmann::json shown() {
        auto s = ctl_show(server_->socket_dir(), "D");
        EXPECT_TRUE(s) << server_->log();
        return s ? *s : nlohmann::json::object();
    }
    bool logged(const std::string& text) { return server_->log().find(text) != std::string::npos; }
};

TEST_F(ReloadSettings, GraceIsAppliedShownAndUsedByTheNextLeave) {
    ASSERT_NO_FATAL_FAILURE(start(dynamic_with_grace("30s")));
    EXPECT_EQ(shown()["grace_ms"], 30000);
    write_config(dynamic_with_grace("0s"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(logged("SIGHUP: applied D: grace 30000 ms -> 0 ms")) << server_->log();
    EXPECT_TRUE(logged("updated D;")) << server_->log();
    EXPECT_EQ(shown()["grace_ms"], 0);
    {
        auto peer = open_domain(server_->socket_dir(), "D");
        ASSERT_TRUE(peer) << peer.error().message;
        EXPECT_EQ(shown()["instances"].size(), 1u);
    }
    EXPECT_TRUE(eventually([&] { return shown()["instances"].empty(); }))
        << "grace 0: the instance is freed when its last peer leaves\n" << server_->log();
}

TEST_F(ReloadSettings, GraceChangeRestartsAGraceAlreadyRunning) {
    ASSERT_NO_FATAL_FAILURE(start(dynamic_with_grace("30s")));
    {
        auto peer = open_domain(server_->socket_dir(), "D");
        ASSERT_TRUE(peer) << peer.error().message;
    }
    ASSERT_TRUE(eventually([&] {
        auto i = shown()["instances"];
        return i.size() == 1 && i[0]["grace_pending"] == true;
    })) << "the instance waits out its 30 s grace\n" << server_->log();
    write_config(dynamic_with_grace("0s"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(eventually([&] { return shown()["instances"].empty(); }))
        << "the running grace took the new time (0: freed now)\n" << server_->log();
}

TEST_F(ReloadSettings, CpualiasOfANumaDomainWithoutInstancesIsApplied) {
    const auto numa = [](const std::string& cpus) {
        return domain("    type = numa\n    policy = dynamic\n    cpualias = \"" + cpus + "\"\n");
    };
    ASSERT_NO_FATAL_FAILURE(start(numa("0")));
    EXPECT_EQ(shown()["cpualias"], "0");
    write_config(numa("0-1"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(logged("SIGHUP: applied D: cpualias (\"0\" -> \"0-1\")")) << server_->log();
    EXPECT_EQ(shown()["cpualias"], "0-1");
    EXPECT_FALSE(shown()["nodes"].empty());
}

TEST_F(ReloadSettings, CpualiasOfANumaDomainWithInstancesIsRefusedNamingTheKey) {
    const auto numa = [](const std::string& cpus) {
        return domain("    type = numa\n    cpualias = \"" + cpus + "\"\n");  // static: an instance per node now
    };
    ASSERT_NO_FATAL_FAILURE(start(numa("0")));
    ASSERT_FALSE(shown()["instances"].empty());
    write_config(numa("0-1"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(logged("D: cpualias (\"0\" -> \"0-1\") while 1 instance(s) exist on nodes the old cpualias chose "
                       "cannot change while the domain exists; not applied"))
        << server_->log();
    EXPECT_EQ(shown()["cpualias"], "0");
}

TEST_F(ReloadSettings, ListenBacklogIsAppliedToEveryDomainSocket) {
    ASSERT_NO_FATAL_FAILURE(start("server {\n    max_pending_connections = 64\n}\n" + domain("")));
    const long before = listen_backlog(server_->socket("D"));
    ASSERT_EQ(before, 64) << "ss -xl does not show the backlog (is iproute2 installed?)";
    write_config("server {\n    max_pending_connections = 8\n}\n" + domain(""));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(logged("SIGHUP: applied server: max_pending_connections 64 -> 8")) << server_->log();
    EXPECT_EQ(listen_backlog(server_->socket("D")), 8);
}

// A peer that never reads is dropped once its queue passes the limit: after
// the reload that limit is the new one, and the log says so.
TEST_F(ReloadSettings, QueueLimitIsAppliedToPeersAlreadyAttached) {
    const std::string small = domain("    max_peers = 4\n");
    ASSERT_NO_FATAL_FAILURE(start(small));
    auto stuck = sys::connect_unix(server_->socket("D"));  // never reads a byte
    ASSERT_TRUE(stuck) << stuck.error().message;
    write_config("server {\n    max_queued_messages = 64\n}\n" + small);
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(logged("SIGHUP: applied server: max_queued_messages 16384 -> 64")) << server_->log();
    // Joins and leaves queue messages to the stuck peer until it is dropped.
    for (int i = 0; i < 4000 && !logged("stopped reading (64 messages queued)"); ++i) {
        auto s = sys::connect_unix(server_->socket("D"));
        ASSERT_TRUE(s) << s.error().message;
        // Refused when the previous newcomers' hang-ups are not seen yet
        // (max_peers 4): that is fine, the next one gets in.
        auto g = read_ivshmem_greeting(s->get(), SteadyClock::now() + 5s);
        ASSERT_TRUE(g || g.error().sys == ECONNREFUSED) << g.error().message << "\n" << server_->log();
    }
    EXPECT_TRUE(eventually([&] { return logged("stopped reading (64 messages queued)"); })) << server_->log();
}

// Everything the memory embodies: one warning naming the domain and the key,
// and nothing changes.
struct RefusedKey {
    const char* name;
    std::string before, after, warning;
};

void PrintTo(const RefusedKey& k, std::ostream* os) { *os << k.name; }

class ReloadRefusedKey : public ReloadSettings, public ::testing::WithParamInterface<RefusedKey> {};

TEST_P(ReloadRefusedKey, OneWarningNamesTheDomainAndTheKeyAndNothingChanges) {
    const RefusedKey& k = GetParam();
    ASSERT_NO_FATAL_FAILURE(start(k.before));
    const nlohmann::json was = shown();
    write_config(k.after);
    ASSERT_NO_FATAL_FAILURE(sighup());
    const std::string expected =
        "SIGHUP: D: " + k.warning + " cannot change while the domain exists; not applied (destroy it, then reload)";
    EXPECT_EQ(count(server_->log(), expected), 1u) << server_->log();
    EXPECT_EQ(count(server_->log(), "cannot change while the domain exists"), 1u) << "one warning\n"
                                                                                    << server_->log();
    nlohmann::json now = shown();
    EXPECT_EQ(now["segments"], was["segments"]);
    EXPECT_EQ(now["vectors"], was["vectors"]);
    EXPECT_EQ(now["max_peers"], was["max_peers"]);
    EXPECT_EQ(now["type"], was["type"]);
    EXPECT_EQ(now["policy"], was["policy"]);
    EXPECT_EQ(now["vaddr"], was["vaddr"]);
}

INSTANTIATE_TEST_SUITE_P(
    EachKey, ReloadRefusedKey,
    ::testing::Values(
        RefusedKey{"Type", domain(""), domain("    type = local\n"), "type (shared -> local)"},
        RefusedKey{"Policy", domain(""), domain("    policy = dynamic\n"), "policy (static -> dynamic)"},
        RefusedKey{"Vectors", domain(""), domain("    vectors = 2\n"), "vectors (1 -> 2)"},
        RefusedKey{"MaxPeers", domain(""), domain("    max_peers = 8\n"), "max_peers (64 -> 8)"},
        RefusedKey{"Vaddr", domain(""), domain("    vaddr = 0x600000000000\n"), "vaddr (none -> 0x600000000000)"},
        RefusedKey{"Size", domain(""), domain("", "huge 4K = 2MB R/W"), "segment 0 size (1M -> 2M)"},
        RefusedKey{"PageSize", domain("", "huge 4K = 2MB R/W"), domain("", "huge 2M = 2MB R/W"),
                   "segment 0 page size (4K -> 2M)"},
        RefusedKey{"SegmentAccess", domain(""), domain("", "huge 4K = 1MB R/O"), "segment 0 access (R/W -> R/O)"},
        RefusedKey{"Segments", domain(""), domain("", "huge 4K = 1MB R/W\n        huge 4K = 1MB R/W"),
                   "segments (1 -> 2)"},
        RefusedKey{"TwoKeysOneWarning", domain(""), domain("    vectors = 2\n    max_peers = 8\n"),
                   "vectors (1 -> 2), max_peers (64 -> 8)"}),
    [](const ::testing::TestParamInfo<RefusedKey>& i) { return std::string(i.param.name); });

}  // namespace
}  // namespace memdomain::test
