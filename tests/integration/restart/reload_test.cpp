// SIGHUP reloads the config of a plain memdomaind: new domains are served,
// access blocks applied (peers no longer granted are disconnected), domains
// gone from the file removed only when nobody is attached, and a broken file
// changes nothing. SIGTERM afterwards is still a clean exit.
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "reload_fixture.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

TEST_F(Reload, AddedDomainGetsItsSocketAndAPeerAttaches) {
    ASSERT_NO_FATAL_FAILURE(start(plain("First")));
    EXPECT_FALSE(std::filesystem::exists(server_->socket("Added")));
    write_config(plain("First") + plain("Added"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_NE(server_->log().find("added Added"), std::string::npos) << server_->log();
    EXPECT_TRUE(std::filesystem::exists(server_->socket("Added")));
    auto peer = open_domain(server_->socket_dir(), "Added");
    ASSERT_TRUE(peer) << peer.error().message << "\n" << server_->log();
    EXPECT_TRUE(open_domain(server_->socket_dir(), "First")) << "the first domain is still served";
}

TEST_F(Reload, AccessChangeDisconnectsAUserNoLongerGrantedAndRefusesItsNextAttach) {
    if (!ensure_test_users()) GTEST_SKIP() << "needs root and the test users (useradd " << kUserRo << ", ...)";
    auto guarded = [](bool readers) {
        return guarded_domain_config(readers, "    socket {\n        mode = 0666\n    }\n");
    };
    ASSERT_NO_FATAL_FAILURE(start(guarded(true)));
    ::chmod(server_->socket_dir().c_str(), 0755);
    PeerProcess reader(server_->socket_dir(), "Guarded", peer_log("reader"), {"--hold"}, kUserRo);
    PeerProcess writer(server_->socket_dir(), "Guarded", peer_log("writer"), {"--write", "still-granted", "--hold"},
                       kUserRw);
    auto r = reader.line("open: ");
    ASSERT_TRUE(r) << reader.log() << "\n" << server_->log();
    EXPECT_NE(r->find("access=R/O"), std::string::npos) << *r;
    ASSERT_EQ(writer.line("wrote: "), "still-granted") << writer.log() << "\n" << server_->log();

    write_config(guarded(false));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(reader.line("disconnected: ")) << "the reader lost its grant\n" << reader.log() << "\n"
                                               << server_->log();
    EXPECT_TRUE(eventually([&] { return server_->log().find("Guarded: 1 peer(s) lost their grant") !=
                                        std::string::npos; }))
        << server_->log();
    EXPECT_NE(server_->log().find("updated Guarded"), std::string::npos) << server_->log();

    PeerProcess again(server_->socket_dir(), "Guarded", peer_log("again"), {}, kUserRo);
    auto refused = again.line("open: ");
    ASSERT_TRUE(refused) << again.log();
    EXPECT_EQ(refused->rfind("error EACCES", 0), 0u) << *refused;
    // Selective: the user still granted keeps its connection.
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(writer.log().find("disconnected:"), std::string::npos) << writer.log();
}

TEST_F(Reload, DomainRemovedFromTheFileIsKeptWhileAPeerIsAttached) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Stays") + plain("InUse")));
    auto holder = open_domain(server_->socket_dir(), "InUse");
    ASSERT_TRUE(holder) << holder.error().message;
    write_data(*holder, "in-use-pattern");
    const std::uint64_t generation = holder->generation();

    write_config(plain("Stays"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(eventually([&] {
        return server_->log().find("InUse: removed from the file but 1 peer(s) are attached; kept") !=
               std::string::npos;
    })) << server_->log();
    EXPECT_NE(server_->log().find("kept in use InUse"), std::string::npos) << server_->log();
    EXPECT_TRUE(std::filesystem::exists(server_->socket("InUse")));
    EXPECT_TRUE(holder->refresh()) << "the attached peer is not disconnected";
    auto other = open_domain(server_->socket_dir(), "InUse");
    ASSERT_TRUE(other) << other.error().message << "\n" << server_->log();
    EXPECT_EQ(other->generation(), generation);
    EXPECT_EQ(data_head(*other), "in-use-pattern");
}

TEST_F(Reload, KeptDomainIsRemovedByTheNextReloadOnceItsPeersLeft) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Stays") + plain("Lingers")));
    {
        auto holder = open_domain(server_->socket_dir(), "Lingers");
        ASSERT_TRUE(holder) << holder.error().message;
        write_config(plain("Stays"));
        ASSERT_NO_FATAL_FAILURE(sighup());
        ASSERT_NE(server_->log().find("kept in use Lingers"), std::string::npos) << server_->log();
    }
    auto peers = [&] {
        auto shown = ctl_show(server_->socket_dir(), "Lingers");
        return shown ? (*shown)["instances"][0]["peers"].get<int>() : -1;
    };
    ASSERT_TRUE(eventually([&] { return peers() == 0; })) << "the server saw the peer leave";
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_NE(server_->log().find("removed Lingers"), std::string::npos) << server_->log();
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(server_->socket("Lingers")); }));
}

TEST_F(Reload, DomainRemovedFromTheFileWithoutPeersLosesItsSocket) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Stays") + plain("Unused")));
    ASSERT_TRUE(std::filesystem::exists(server_->socket("Unused")));
    write_config(plain("Stays"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_NE(server_->log().find("removed Unused"), std::string::npos) << server_->log();
    EXPECT_TRUE(eventually([&] { return !std::filesystem::exists(server_->socket("Unused")); }));
    const CtlResult shown = run_ctl(server_->socket_dir(), {"show", "Unused"});
    EXPECT_EQ(shown.exit_code, 2) << "no such domain any more\n" << shown.output;
    EXPECT_TRUE(open_domain(server_->socket_dir(), "Stays"));
}

TEST_F(Reload, BrokenFileIsReportedWithItsPositionAndChangesNothing) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Alpha") + plain("Beta")));
    // Beta is gone and Alpha has an unknown key on line 5: applied, this
    // would remove Beta.
    write_config("memdomain Alpha {\n"
                 "    size {\n"
                 "        huge 4K = 1MB R/W\n"
                 "    }\n"
                 "    colour = blue\n"
                 "}\n");
    ASSERT_NO_FATAL_FAILURE(sighup());
    const std::string log = server_->log();
    std::smatch m;
    EXPECT_TRUE(std::regex_search(log, m,
                                  std::regex("error[^\\n]*SIGHUP: [^\\n]*memdomain\\.conf:5:[0-9]+: [^\\n]*; nothing changed")))
        << log;
    EXPECT_EQ(log.find("SIGHUP: reloaded"), std::string::npos) << log;
    for (const char* name : {"Alpha", "Beta"}) {
        EXPECT_TRUE(std::filesystem::exists(server_->socket(name))) << name;
        auto peer = open_domain(server_->socket_dir(), name);
        EXPECT_TRUE(peer) << name << ": " << (peer ? "" : peer.error().message);
    }
    const CtlResult listed = run_ctl(server_->socket_dir(), {"list"});
    EXPECT_NE(listed.output.find("Beta"), std::string::npos) << listed.output;
}

TEST_F(Reload, SocketBlockChangeIsAppliedToTheSocketFile) {
    auto with_mode = [](const std::string& mode) {
        return "memdomain Moded {\n"
               "    size {\n"
               "        huge 4K = 1MB R/W\n"
               "    }\n"
               "    socket {\n"
               "        mode = " + mode + "\n"
               "    }\n"
               "}\n";
    };
    ASSERT_NO_FATAL_FAILURE(start(with_mode("0660")));
    struct stat st {};
    ASSERT_EQ(::stat(server_->socket("Moded").c_str(), &st), 0);
    ASSERT_EQ(st.st_mode & 07777, 0660u);
    write_config(with_mode("0600"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    ASSERT_EQ(::stat(server_->socket("Moded").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << server_->log();
    EXPECT_NE(server_->log().find("updated Moded"), std::string::npos) << server_->log();
}

TEST_F(Reload, GeometryChangeIsNotAppliedAndTheMemoryIsKept) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Shape")));
    auto peer = open_domain(server_->socket_dir(), "Shape");
    ASSERT_TRUE(peer) << peer.error().message;
    write_data(*peer, "shape-pattern");
    write_config("memdomain Shape {\n"
                 "    size {\n"
                 "        huge 4K = 2MB R/W\n"
                 "    }\n"
                 "}\n");
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_TRUE(eventually([&] {
        return server_->log().find("Shape: segment 0 size (1M -> 2M) cannot change while the domain exists; not "
                                   "applied (destroy it, then reload)") != std::string::npos;
    })) << server_->log();
    EXPECT_TRUE(peer->refresh()) << "the peer stays attached";
    auto other = open_domain(server_->socket_dir(), "Shape");
    ASSERT_TRUE(other) << other.error().message;
    EXPECT_EQ(other->generation(), peer->generation());
    EXPECT_EQ(other->segments().at(0).size, std::size_t{1} << 20);
    EXPECT_EQ(data_head(*other), "shape-pattern");
}

// admin_group decides who may change domains, and who can connect to
// control.sock at all (its group): a reload that sets it regroups the socket,
// one that drops it gives the socket back to root's group.
TEST_F(Reload, AdminGroupChangeRegroupsTheControlSocket) {
    if (!ensure_test_users()) GTEST_SKIP() << "needs root and the test group " << kGroupReaders;
    ASSERT_NO_FATAL_FAILURE(start(plain("First")));
    const std::string control = server_->socket_dir() + "/control.sock";
    auto group_of = [&] {
        struct stat st {};
        return ::stat(control.c_str(), &st) == 0 ? static_cast<long>(st.st_gid) : -1L;
    };
    EXPECT_EQ(group_of(), 0L);
    const group* readers = ::getgrnam(kGroupReaders);
    ASSERT_NE(readers, nullptr);
    write_config(std::string("server {\n    admin_group = ") + kGroupReaders + "\n}\n" + plain("First"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_EQ(group_of(), static_cast<long>(readers->gr_gid)) << server_->log();
    write_config(plain("First"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    EXPECT_EQ(group_of(), 0L) << server_->log();
}

TEST_F(Reload, SigtermAfterAReloadExitsZeroAndRemovesEverySocket) {
    ASSERT_NO_FATAL_FAILURE(start(plain("Old")));
    write_config(plain("Old") + plain("New"));
    ASSERT_NO_FATAL_FAILURE(sighup());
    ASSERT_TRUE(std::filesystem::exists(server_->socket("New"))) << server_->log();
    auto status = server_->stop();
    ASSERT_TRUE(status) << "memdomaind did not exit on SIGTERM\n" << server_->log();
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status << "\n"
                                                                  << server_->log();
    for (const char* path : {"Old.sock", "New.sock", "control.sock", "ns/Old", "ns/New"})
        EXPECT_EQ(std::filesystem::symlink_status(server_->socket_dir() + "/" + path).type(),
                  std::filesystem::file_type::not_found)
            << path;
}

}  // namespace
}  // namespace memdomain::test
