// memdomaind's command line and start-up: help, version, refusals that
// create nothing, and a clean shutdown that removes its sockets.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <sys/wait.h>

#include <vector>

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "server_fixture.h"

using namespace memdomain::test;
using namespace std::chrono_literals;

TEST(MemdomaindCli, HelpListsOptionsAndExitsZero) {
    auto r = run_memdomaind({"--help"}, 5s);
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    EXPECT_NE(r.output.find("--socket-dir"), std::string::npos);
    EXPECT_NE(r.output.find("--config"), std::string::npos);
}

TEST(MemdomaindCli, VersionPrintsTheVersion) {
    auto r = run_memdomaind({"--version"}, 5s);
    EXPECT_EQ(WEXITSTATUS(r.status), 0);
    EXPECT_EQ(r.output.rfind("memdomaind ", 0), 0u);
}

TEST(MemdomaindCli, UnknownOptionIsAnError) {
    auto r = run_memdomaind({"--no-such-option"}, 5s);
    EXPECT_EQ(WEXITSTATUS(r.status), 2);
    EXPECT_NE(r.output.find("no-such-option"), std::string::npos) << r.output;
}

TEST(MemdomaindCli, BadLogLevelIsAnError) {
    auto r = run_memdomaind({"--log-level", "loud"}, 5s);
    EXPECT_EQ(WEXITSTATUS(r.status), 2);
    EXPECT_NE(r.output.find("loud"), std::string::npos) << r.output;
}

TEST(MemdomaindCli, BrokenConfigNamesFileLineColumnAndCreatesNothing) {
    TempDir d;
    const std::string conf = d.file("bad.conf");
    std::ofstream(conf) << "memdomain A {\n  size {\n    huge 4K = 1MB R/W\n  }\n}\nmemdomain B {\n  colour = red\n}\n";
    const std::string sockets = d.file("sockets");
    auto r = run_memdomaind({"--config", conf, "--socket-dir", sockets}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_EQ(r.output.rfind(conf + ":7:3:", 0), 0u) << r.output;
    EXPECT_FALSE(std::filesystem::exists(sockets + "/A.sock")) << "no domain is created from a broken config";
}

TEST(MemdomaindCli, MissingConfigFileIsAnErrorNamingIt) {
    auto r = run_memdomaind({"--config", "/nonexistent/memdomain.conf", "--socket-dir", "/tmp"}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find("/nonexistent/memdomain.conf"), std::string::npos) << r.output;
}

TEST(MemdomaindCli, UnsatisfiableHugepageDomainRefusesToStartAndSaysWhy) {
    TempDir d;
    const std::string conf = d.file("huge.conf");
    std::ofstream(conf) << "memdomain Big {\n  size {\n    huge 2M = 1T R/W\n  }\n}\n";
    auto r = run_memdomaind({"--config", conf, "--socket-dir", d.file("s")}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find("domain Big needs 524288 pages of 2M"), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(d.file("s/Big.sock")));
}

TEST(MemdomaindCli, CheckConfigValidatesWithoutServing) {
    TempDir d;
    const std::string conf = d.file("ok.conf");
    std::ofstream(conf) << "memdomain A {\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n";
    auto r = run_memdomaind({"--config", conf, "--socket-dir", d.file("s"), "--check-config"}, 5s);
    EXPECT_EQ(WEXITSTATUS(r.status), 0) << r.output;
    EXPECT_FALSE(std::filesystem::exists(d.file("s/A.sock")));
}

TEST(MemdomaindCli, SigtermShutsDownCleanlyAndRemovesSockets) {
    Server s("memdomain A {\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n");
    ASSERT_TRUE(s.ok()) << s.start_error();
    ASSERT_TRUE(std::filesystem::exists(s.socket("A")));
    s.process().signal(SIGTERM);
    auto st = s.process().wait(5s);
    ASSERT_TRUE(st);
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0);
    EXPECT_FALSE(std::filesystem::exists(s.socket("A")));
}

TEST(MemdomaindCli, SecondServerOnTheSameDirectoryIsRefused) {
    Server s("memdomain A {\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n");
    ASSERT_TRUE(s.ok()) << s.start_error();
    auto r = run_memdomaind({"--config", s.config_path(), "--socket-dir", s.socket_dir()}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find("a live server is listening there"), std::string::npos) << r.output;
    EXPECT_TRUE(std::filesystem::exists(s.socket("A"))) << "the running server's socket is untouched";
}

TEST(MemdomaindCli, CheckConfigRefusesANumaDomainOnCpusNoNodeHas) {
    TempDir d;
    const std::string conf = d.file("numa.conf");
    std::ofstream(conf) << "memdomain N {\n  type = numa\n  cpualias = \"8000-8010\"\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n";
    auto r = run_memdomaind({"--config", conf, "--socket-dir", d.file("s"), "--check-config"}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find(conf + ":1:11: domain N: "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("8000-8010"), std::string::npos) << r.output;
}

TEST(MemdomaindCli, CheckConfigResolvesAccessNames) {
    TempDir d;
    const std::string conf = d.file("acl.conf");
    std::ofstream(conf) << "memdomain A {\n  size {\n    huge 4K = 1MB R/W\n  }\n  access {\n    group no-such-group-md = R/O\n  }\n}\n";
    auto r = run_memdomaind({"--config", conf, "--socket-dir", d.file("s"), "--check-config"}, 5s);
    EXPECT_NE(WEXITSTATUS(r.status), 0);
    EXPECT_NE(r.output.find("unknown group 'no-such-group-md'"), std::string::npos) << r.output;
}

TEST(MemdomaindCli, ShippedConfigsPassCheckConfig) {
    for (const char* f : {"config/memdomain.conf", "config/examples/guarded.conf", "config/examples/vm-pair.conf",
                          "config/examples/talk.conf", "config/examples/dynamic.conf", "config/examples/dma.conf"}) {
        if (std::string(f).find("dma") != std::string::npos && ::geteuid() != 0) {
            std::printf("dma.conf skipped: contiguous = yes is checked only as root\n");
            continue;
        }
        auto r = run_memdomaind({"--config", std::string(MEMDOMAIN_SOURCE_DIR "/") + f, "--socket-dir", "/tmp",
                                 "--check-config"},
                                5s);
        EXPECT_EQ(WEXITSTATUS(r.status), 0) << f << ":\n" << r.output;
    }
}

// Type=notify: READY=1 once serving, STOPPING=1 on SIGTERM, to $NOTIFY_SOCKET;
// and before READY, every segment goes to the fd store (FDSTORE=1).
TEST(MemdomaindCli, NotifiesSystemdReadyAndStopping) {
    TempDir d;
    const std::string notify = d.file("notify.sock");
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, notify.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string conf = d.file("n.conf");
    std::ofstream(conf) << "memdomain N {\n  size {\n    huge 4K = 1MB R/W\n  }\n}\n";
    Process::Options o;
    o.log_path = d.file("n.log");
    o.env = {"NOTIFY_SOCKET=" + notify};
    Process p({memdomaind_path(), "--config", conf, "--socket-dir", d.file("s")}, o);
    std::vector<std::string> stored;
    // The next state message, after the fd-store messages (noted in `stored`).
    auto receive = [&]() {
        for (;;) {
            pollfd pf{fd, POLLIN, 0};
            if (::poll(&pf, 1, 10000) <= 0) return std::string("<nothing>");
            char buf[512];
            char ctl[CMSG_SPACE(sizeof(int) * 4)];
            iovec iov{buf, sizeof buf};
            msghdr m{};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            m.msg_control = ctl;
            m.msg_controllen = sizeof ctl;
            ssize_t n = ::recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
            if (n <= 0) return std::string("<error>");
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c))
                if (c->cmsg_type == SCM_RIGHTS)
                    for (std::size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); ++i)
                        ::close(reinterpret_cast<int*>(CMSG_DATA(c))[i]);
            std::string text(buf, static_cast<std::size_t>(n));
            if (text.rfind("FDSTORE", 0) == 0) {
                stored.push_back(text);
                continue;
            }
            return text;
        }
    };
    EXPECT_EQ(receive(), "READY=1") << p.log();
    bool segment_stored = false;
    for (const auto& s : stored) segment_stored |= s.find("FDSTORE=1\nFDNAME=md.") == 0 && s.find("md.state") == std::string::npos;
    EXPECT_TRUE(segment_stored) << "the segment of N went to the fd store before READY";
    EXPECT_TRUE(std::filesystem::exists(d.file("s/N.sock"))) << "READY only once the sockets listen";
    p.signal(SIGTERM);
    EXPECT_EQ(receive(), "STOPPING=1");
    auto st = p.wait(5s);
    ASSERT_TRUE(st);
    EXPECT_EQ(WEXITSTATUS(*st), 0);
    ::close(fd);
}

TEST(MemdomaindCli, SystemdUnitNamesTheInstalledDaemonAndTypeNotify) {
    const std::string unit = read_file(MEMDOMAIN_BINARY_DIR "/host-server/memdomaind.service");
    EXPECT_NE(unit.find("Type=notify"), std::string::npos) << unit;
    EXPECT_NE(unit.find("/sbin/memdomaind --config "), std::string::npos) << unit;
    EXPECT_NE(unit.find("RuntimeDirectory=memdomain"), std::string::npos) << unit;
    EXPECT_EQ(unit.find('@'), std::string::npos) << "every @VAR@ is substituted\n" << unit;
}
