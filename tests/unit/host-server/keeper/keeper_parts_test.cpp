// memdomain-keeper's parts, one behaviour per test: the restart backoff, the
// table of stored fds, the command line. (The notify messages it parses are
// persist/notify.h's, tested in unit/host-server/persist.)
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "keeper/keeper_options.h"
#include "keeper/restart_backoff.h"
#include "keeper/stored_fds.h"

using namespace memdomain;
using namespace memdomain::keeper;
using namespace std::chrono_literals;

TEST(KeeperBackoff, DoublesFromTheInitialDelayUpToFiveSeconds) {
    RestartBackoff b(100ms);
    std::vector<long> got;
    for (int i = 0; i < 9; ++i) got.push_back(b.after_exit(10ms).count());
    EXPECT_EQ(got, (std::vector<long>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
}

TEST(KeeperBackoff, ResetsAfterTenSecondsOfUptime) {
    RestartBackoff b(100ms);
    b.after_exit(1ms);
    b.after_exit(1ms);
    EXPECT_EQ(b.after_exit(9999ms), 400ms);
    EXPECT_EQ(b.after_exit(10000ms), 100ms);
    EXPECT_EQ(b.after_exit(1ms), 200ms);
}

TEST(KeeperBackoff, AnInitialDelayAboveTheMaximumIsKept) {
    RestartBackoff b(8000ms);
    EXPECT_EQ(b.after_exit(1ms), 8000ms);
    EXPECT_EQ(b.after_exit(1ms), 8000ms);
}

namespace {

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) == 0) r = p[0], w = p[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
    }
    // The write end, handed over to be stored.
    sys::UniqueFd take_write() { return sys::UniqueFd(std::exchange(w, -1)); }
    // True once every write end is closed.
    bool write_end_closed() const {
        ::fcntl(r, F_SETFL, O_NONBLOCK);
        char c;
        return ::read(r, &c, 1) == 0;
    }
};

std::vector<sys::UniqueFd> one(sys::UniqueFd fd) {
    std::vector<sys::UniqueFd> v;
    v.push_back(std::move(fd));
    return v;
}

}  // namespace

TEST(KeeperStoredFds, KeepsFdsInOrderWithTheirNames) {
    StoredFds s;
    Pipe a, b;
    auto fa = one(a.take_write());
    auto fb = one(b.take_write());
    const int a_fd = fa[0].get(), b_fd = fb[0].get();
    ASSERT_TRUE(s.store("a", fa));
    ASSERT_TRUE(s.store("b", fb));
    EXPECT_TRUE(fa.empty()) << "taken over";
    EXPECT_EQ(s.size(), 2u);
    EXPECT_EQ(s.joined_names(), "a:b");
    EXPECT_EQ(s.fds(), (std::vector<int>{a_fd, b_fd}));
    EXPECT_FALSE(a.write_end_closed());
}

TEST(KeeperStoredFds, SameNameReplacesAndClosesTheOldFd) {
    StoredFds s;
    Pipe old_pipe, new_pipe;
    auto f1 = one(old_pipe.take_write());
    ASSERT_TRUE(s.store("seg", f1));
    auto f2 = one(new_pipe.take_write());
    auto replaced = s.store("seg", f2);
    ASSERT_TRUE(replaced);
    EXPECT_EQ(*replaced, 1u);
    EXPECT_EQ(s.size(), 1u);
    EXPECT_TRUE(old_pipe.write_end_closed());
    EXPECT_FALSE(new_pipe.write_end_closed());
}

TEST(KeeperStoredFds, RemoveClosesEveryFdOfTheName) {
    StoredFds s;
    Pipe a, b, c;
    std::vector<sys::UniqueFd> two;
    two.push_back(a.take_write());
    two.push_back(b.take_write());
    ASSERT_TRUE(s.store("pair", two));
    auto fc = one(c.take_write());
    ASSERT_TRUE(s.store("other", fc));
    EXPECT_EQ(s.joined_names(), "pair:pair:other");
    EXPECT_EQ(s.remove("pair"), 2u);
    EXPECT_EQ(s.remove("pair"), 0u);
    EXPECT_TRUE(a.write_end_closed());
    EXPECT_TRUE(b.write_end_closed());
    EXPECT_FALSE(c.write_end_closed());
    EXPECT_EQ(s.joined_names(), "other");
}

TEST(KeeperStoredFds, RefusesToPassTheFdLimitAndChangesNothing) {
    StoredFds s;
    std::vector<sys::UniqueFd> many;
    for (std::size_t i = 0; i < StoredFds::kMaxFds; ++i) many.emplace_back(::dup(0));
    ASSERT_TRUE(s.store("many", many));
    Pipe extra;
    auto fe = one(extra.take_write());
    auto r = s.store("extra", fe);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().sys, EMFILE);
    EXPECT_EQ(s.size(), StoredFds::kMaxFds);
    fe.clear();
    EXPECT_TRUE(extra.write_end_closed()) << "the refused fd is closed with the caller's vector";
    std::vector<sys::UniqueFd> replacement;
    replacement.emplace_back(::dup(0));
    EXPECT_TRUE(s.store("many", replacement)) << "replacing frees the old fds first";
    EXPECT_EQ(s.size(), 1u);
}

TEST(KeeperCommandLine, SplitsAtDoubleDashAndKeepsTheCommandsOwnOptions) {
    const char* argv[] = {"memdomain-keeper", "--ready-fd", "5", "--restart-delay-ms", "50", "--",
                          "/usr/sbin/memdomaind", "--config", "x.conf", "--", "--help"};
    auto r = parse_keeper_command_line(11, argv);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->run);
    EXPECT_EQ(r->run->ready_fd, 5);
    EXPECT_EQ(r->run->restart_delay, 50ms);
    EXPECT_EQ(r->run->command,
              (std::vector<std::string>{"/usr/sbin/memdomaind", "--config", "x.conf", "--", "--help"}));
}

TEST(KeeperCommandLine, DefaultsAndHelp) {
    const char* argv[] = {"memdomain-keeper", "--", "prog"};
    auto r = parse_keeper_command_line(3, argv);
    ASSERT_TRUE(r && r->run);
    EXPECT_EQ(r->run->ready_fd, -1);
    EXPECT_EQ(r->run->restart_delay, 100ms);
    const char* help[] = {"memdomain-keeper", "--help"};
    auto h = parse_keeper_command_line(2, help);
    ASSERT_TRUE(h);
    EXPECT_FALSE(h->run);
    EXPECT_NE(h->print.find("--restart-delay-ms"), std::string::npos);
}

TEST(KeeperCommandLine, BadCommandLinesAreErrors) {
    std::vector<std::vector<const char*>> bad = {
        {"memdomain-keeper"},
        {"memdomain-keeper", "--"},
        {"memdomain-keeper", "prog"},
        {"memdomain-keeper", "--restart-delay-ms", "0", "--", "prog"},
        {"memdomain-keeper", "--restart-delay-ms", "soon", "--", "prog"},
        {"memdomain-keeper", "--ready-fd", "1", "--", "prog"},
        {"memdomain-keeper", "--unknown", "--", "prog"},
    };
    for (auto& argv : bad) {
        auto r = parse_keeper_command_line(static_cast<int>(argv.size()), argv.data());
        ASSERT_FALSE(r) << argv.back();
        EXPECT_EQ(r.error().sys, EINVAL);
    }
}
