// memdomain-keeper, the real binary, supervising keeper_test_child: the
// memfd a child stores survives kill -9 and SIGTERM of the child, the keeper
// obeys only its child, and stopping the keeper stops everything cleanly.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "process.h"

using namespace memdomain;
using memdomain::test::Process;
using namespace std::chrono_literals;

namespace {

// This machine may be an emulated one: generous timeouts.
constexpr auto kTimeout = 30s;

struct TempDir {
    std::string path;
    TempDir() {
        path = testing::TempDir() + "keeper_test." + std::to_string(::getpid()) + "." +
               std::to_string(std::random_device{}());
        std::filesystem::create_directories(path);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string file(const std::string& name) const { return path + "/" + name; }
};

// Reads "READY <pid>" lines from the keeper's --ready-fd pipe.
class ReadyPipe {
public:
    ReadyPipe() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) == 0) read_ = p[0], write_ = p[1];
    }
    ~ReadyPipe() {
        if (read_ >= 0) ::close(read_);
        close_write();
    }
    int write_end() const { return write_; }
    void close_write() {
        if (write_ >= 0) ::close(write_);
        write_ = -1;
    }
    // The pid of the next READY line; 0 on timeout or EOF.
    pid_t next(std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const std::size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                const std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                if (line.rfind("READY ", 0) != 0) return 0;
                return static_cast<pid_t>(std::stol(line.substr(6)));
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return 0;
            pollfd p{read_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return 0;
            char chunk[256];
            const ssize_t n = ::read(read_, chunk, sizeof chunk);
            if (n <= 0) return 0;
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }

private:
    int read_ = -1, write_ = -1;
    std::string buf_;
};

// The START line keeper_test_child wrote for `pid`, as its words.
std::map<std::string, std::string> start_line(const std::string& report, pid_t pid) {
    std::istringstream lines(test::read_file(report));
    std::string line;
    const std::string want = "START pid=" + std::to_string(pid) + " ";
    while (std::getline(lines, line)) {
        if (line.rfind(want, 0) != 0) continue;
        std::map<std::string, std::string> words;
        std::istringstream ws(line.substr(6));
        std::string w;
        while (ws >> w) {
            const std::size_t eq = w.find('=');
            words[w.substr(0, eq)] = eq == std::string::npos ? "" : w.substr(eq + 1);
        }
        return words;
    }
    return {};
}

bool alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// Children of the keeper are not ours to reap, but they are ours to end if a
// test fails half-way (keeper_test_child also dies with the keeper).
struct ChildGuard {
    std::vector<pid_t> pids;
    ~ChildGuard() {
        for (pid_t p : pids)
            if (alive(p)) ::kill(p, SIGKILL);
    }
};

struct Keeper {
    TempDir dir;
    ReadyPipe ready;
    std::string report = dir.file("report.txt");
    Process process;
    ChildGuard guard;

    explicit Keeper(std::vector<std::string> extra_env = {}, std::vector<std::string> extra_args = {}) {
        Process::Options o;
        o.log_path = dir.file("keeper.log");
        o.pass_fd = ready.write_end();
        o.env = std::move(extra_env);
        std::vector<std::string> argv = {MEMDOMAIN_KEEPER_PATH, "--ready-fd", std::to_string(ready.write_end()),
                                         "--restart-delay-ms", "20"};
        argv.insert(argv.end(), extra_args.begin(), extra_args.end());
        argv.insert(argv.end(), {"--", KEEPER_TEST_CHILD_PATH, report});
        process = Process(argv, o);
        ready.close_write();  // EOF on the pipe once the keeper is gone
    }
    pid_t next_ready() {
        const pid_t pid = ready.next(kTimeout);
        if (pid > 0) guard.pids.push_back(pid);
        return pid;
    }
    std::string log() const { return process.log() + "\n--- report:\n" + test::read_file(report); }
};

}  // namespace

TEST(Keeper, StoredMemfdSurvivesKillNineAndSigtermOfTheChild) {
    Keeper k;
    const pid_t first = k.next_ready();
    ASSERT_GT(first, 0) << k.log();
    auto w1 = start_line(k.report, first);
    ASSERT_FALSE(w1.empty()) << k.log();
    EXPECT_EQ(w1["names"], "") << "the first child inherits nothing";
    EXPECT_EQ(w1["fds"], "0") << "no keeper fd leaks into the child\n" << k.log();

    ASSERT_EQ(::kill(first, SIGKILL), 0);
    const pid_t second = k.next_ready();
    ASSERT_GT(second, 0) << k.log();
    EXPECT_NE(second, first);
    auto w2 = start_line(k.report, second);
    ASSERT_FALSE(w2.empty()) << k.log();
    EXPECT_EQ(w2["names"], "segment-A:generation") << "temp was removed\n" << k.log();
    EXPECT_EQ(w2["segment-A"], "hello-persist") << k.log();
    EXPECT_EQ(w2["generation"], "gen=1");
    EXPECT_EQ(w2["fds"], "2") << "exactly the stored fds, at 3 and 4\n" << k.log();

    ASSERT_EQ(::kill(second, SIGTERM), 0);  // a clean exit is restarted too
    const pid_t third = k.next_ready();
    ASSERT_GT(third, 0) << k.log();
    auto w3 = start_line(k.report, third);
    EXPECT_EQ(w3["names"], "segment-A:generation") << k.log();
    EXPECT_EQ(w3["segment-A"], "hello-persist");
    EXPECT_EQ(w3["generation"], "gen=2") << "the replaced generation fd, not the old one";

    const std::string log = k.process.log();
    EXPECT_NE(log.find("memdomain-keeper: child " + std::to_string(first) + " killed by signal 9"), std::string::npos)
        << log;
    EXPECT_NE(log.find("memdomain-keeper: child " + std::to_string(second) + " exited with status 0"),
              std::string::npos)
        << log;
}

// What a child stores right before it dies is read before the child is
// reaped, so it is not taken for a stranger's message.
TEST(Keeper, FdStoredJustBeforeACrashIsKept) {
    Keeper k({"KEEPER_TEST_CRASH_AFTER_STORE=1"});
    const pid_t ready = k.next_ready();  // the first child never gets to READY
    ASSERT_GT(ready, 0) << k.log();
    auto w = start_line(k.report, ready);
    EXPECT_EQ(w["names"], "segment-A:generation") << k.log();
    EXPECT_EQ(w["segment-A"], "hello-persist") << k.log();
    EXPECT_NE(k.process.log().find("killed by signal 9"), std::string::npos) << k.log();
}

TEST(Keeper, NotificationsFromAnotherProcessAreIgnored) {
    Keeper k;
    const pid_t child = k.next_ready();
    ASSERT_GT(child, 0) << k.log();
    const std::string notify = start_line(k.report, child)["notify"];
    ASSERT_EQ(notify.rfind("@", 0), 0u) << "an abstract socket\n" << k.log();

    auto intruder = sys::memfd_create("intruder", 4096);
    ASSERT_TRUE(intruder);
    ASSERT_TRUE(sys::send_datagram_with_fds(notify, "FDSTORE=1\nFDNAME=intruder", {intruder->get()}));
    ASSERT_TRUE(sys::send_datagram(notify, "FDSTOREREMOVE=1\nFDNAME=segment-A"));
    ASSERT_TRUE(sys::send_datagram(notify, "READY=1"));
    EXPECT_EQ(k.ready.next(1500ms), 0) << "no READY for a message from us\n" << k.log();

    ASSERT_EQ(::kill(child, SIGKILL), 0);
    const pid_t next = k.next_ready();
    ASSERT_GT(next, 0) << k.log();
    EXPECT_EQ(start_line(k.report, next)["names"], "segment-A:generation") << k.log();
    EXPECT_NE(k.process.log().find("ignoring a notification from pid " + std::to_string(::getpid())),
              std::string::npos)
        << k.log();
}

TEST(Keeper, SigtermStopsChildAndKeeperWithStatusZero) {
    Keeper k;
    const pid_t child = k.next_ready();
    ASSERT_GT(child, 0) << k.log();
    k.process.signal(SIGTERM);
    auto st = k.process.wait(kTimeout);
    ASSERT_TRUE(st) << k.log();
    ASSERT_TRUE(WIFEXITED(*st)) << k.log();
    EXPECT_EQ(WEXITSTATUS(*st), 0) << k.log();
    EXPECT_FALSE(alive(child)) << "the keeper waited for its child";
    EXPECT_EQ(k.ready.next(1s), 0) << "no restart after SIGTERM to the keeper";
    const std::string log = k.process.log();
    EXPECT_NE(log.find("stopped; closed 2 stored fd(s)"), std::string::npos) << log;
}

TEST(Keeper, ForwardsReadyOnceToItsOwnServiceManager) {
    const std::string own = "@memdomain-test/keeper-own/" + std::to_string(::getpid()) + "/" +
                            std::to_string(std::random_device{}());
    auto manager = sys::bind_datagram(own, true);
    ASSERT_TRUE(manager) << manager.error().message;
    Keeper k({"NOTIFY_SOCKET=" + own});
    auto receive = [&](std::chrono::milliseconds timeout) -> std::string {
        auto ready = sys::wait_readable(manager->get(), timeout);
        if (!ready || !*ready) return "<nothing>";
        auto d = sys::receive_datagram_with_fds(manager->get());
        return d && d->has_value() ? (*d)->text : "<error>";
    };
    const pid_t first = k.next_ready();
    ASSERT_GT(first, 0) << k.log();
    EXPECT_EQ(receive(kTimeout), "READY=1");
    EXPECT_NE(start_line(k.report, first)["notify"], own) << "the child talks to the keeper, not to our manager";
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_GT(k.next_ready(), 0) << k.log();
    EXPECT_EQ(receive(500ms), "<nothing>") << "READY=1 only the first time";
    k.process.signal(SIGTERM);
    EXPECT_EQ(receive(kTimeout), "STOPPING=1");
    auto st = k.process.wait(kTimeout);
    ASSERT_TRUE(st);
    EXPECT_EQ(WEXITSTATUS(*st), 0);
}

TEST(Keeper, ChildThatIgnoresSigtermIsKilledAfterTheStopTimeout) {
    Keeper k({"KEEPER_TEST_IGNORE_TERM=1"}, {"--stop-timeout-ms", "300"});
    const pid_t child = k.next_ready();
    ASSERT_GT(child, 0) << k.log();
    k.process.signal(SIGTERM);
    auto st = k.process.wait(kTimeout);
    ASSERT_TRUE(st) << k.log();
    EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) == 0) << k.log();
    EXPECT_FALSE(alive(child));
    const std::string log = k.process.log();
    EXPECT_NE(log.find("still running 300 ms after SIGTERM: sending SIGKILL"), std::string::npos) << log;
    EXPECT_NE(log.find("killed by signal 9"), std::string::npos) << log;
}

TEST(Keeper, SighupIsForwardedToTheChild) {
    Keeper k;
    const pid_t child = k.next_ready();
    ASSERT_GT(child, 0) << k.log();
    k.process.signal(SIGHUP);  // keeper_test_child dies of it: default action
    const pid_t next = k.next_ready();
    ASSERT_GT(next, 0) << k.log();
    EXPECT_NE(next, child);
    EXPECT_NE(k.process.log().find("child " + std::to_string(child) + " killed by signal 1 (HUP)"), std::string::npos)
        << k.log();
    EXPECT_TRUE(k.process.running()) << "the keeper itself stays";
}

TEST(Keeper, BadCommandLineExitsTwoAndBadReadyFdExitsOne) {
    TempDir d;
    Process::Options o;
    o.log_path = d.file("log");
    Process usage({MEMDOMAIN_KEEPER_PATH, "--restart-delay-ms", "10"}, o);
    auto st = usage.wait(kTimeout);
    ASSERT_TRUE(st);
    EXPECT_EQ(WEXITSTATUS(*st), 2);
    EXPECT_NE(usage.log().find("no command to run"), std::string::npos) << usage.log();
    Process bad_fd({MEMDOMAIN_KEEPER_PATH, "--ready-fd", "999", "--", "/bin/true"}, o);
    st = bad_fd.wait(kTimeout);
    ASSERT_TRUE(st);
    EXPECT_EQ(WEXITSTATUS(*st), 1) << bad_fd.log();
}
