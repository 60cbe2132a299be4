// take_inherited_fds: the LISTEN_* environment as libsystemd's
// sd_listen_fds_with_names(3) reads it, for real: each case runs in a forked
// child of its own that owns fds 3, 4, ... and its environment, and reports
// by exit status (0: every check held; otherwise the number of the check
// that failed).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "memdomain/sys/memory.h"
#include "persist/inherited_fds.h"

using namespace memdomain;
using persist::take_inherited_fds;

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }
bool is_cloexec(int fd) { return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

struct Env {
    const char* pid;  // "self": the child's own pid; nullptr: unset
    const char* fds;
    const char* names;
};

// Forks; the child places `count` memfds at 3.. (not close-on-exec, as a
// manager passes them), sets `env` and returns body()'s result as its exit
// status, which this returns (-1: it did not exit normally).
int in_child(int count, Env env, const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        // Out of the way first (a new memfd may itself get number 3), then
        // into place; dup2 leaves the copies without FD_CLOEXEC.
        std::vector<int> high;
        for (int i = 0; i < count; ++i) {
            auto m = sys::memfd_create("inherited" + std::to_string(i), 4096);
            if (!m) _exit(100);
            high.push_back(::fcntl(m->get(), F_DUPFD_CLOEXEC, 200));
        }
        for (int i = 0; i < count; ++i) {
            if (high[i] < 0 || ::dup2(high[i], 3 + i) != 3 + i) _exit(101);
            ::close(high[i]);
        }
        const std::string self = std::to_string(::getpid());
        auto set = [](const char* name, const char* value) {
            if (value != nullptr)
                ::setenv(name, value, 1);
            else
                ::unsetenv(name);
        };
        set("LISTEN_PID", env.pid != nullptr && std::string(env.pid) == "self" ? self.c_str() : env.pid);
        set("LISTEN_FDS", env.fds);
        set("LISTEN_FDNAMES", env.names);
        _exit(body());
    }
    int st = 0;
    if (::waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

bool environment_unset() {
    return !std::getenv("LISTEN_PID") && !std::getenv("LISTEN_FDS") && !std::getenv("LISTEN_FDNAMES");
}

}  // namespace

TEST(InheritedFds, NamesAndFdsAreTakenMadeCloseOnExecAndTheVariablesUnset) {
    EXPECT_EQ(in_child(2, {"self", "2", "MainMem@0:Other"}, [] {
                  auto r = take_inherited_fds();
                  if (!r) return 1;
                  if (r->size() != 2 || (*r)[0].name != "MainMem@0" || (*r)[1].name != "Other") return 2;
                  if ((*r)[0].fd.get() != 3 || (*r)[1].fd.get() != 4) return 3;
                  if (!is_cloexec(3) || !is_cloexec(4)) return 4;
                  if (!environment_unset()) return 5;
                  r->clear();
                  if (is_open(3) || is_open(4)) return 6;  // the result owned them
                  return 0;
              }),
              0);
}

TEST(InheritedFds, WithoutNamesEveryFdIsUnknown) {
    EXPECT_EQ(in_child(2, {"self", "2", nullptr}, [] {
                  auto r = take_inherited_fds();
                  if (!r || r->size() != 2) return 1;
                  return (*r)[0].name == "unknown" && (*r)[1].name == "unknown" ? 0 : 2;
              }),
              0);
}

TEST(InheritedFds, NothingSetMeansNothingInherited) {
    EXPECT_EQ(in_child(1, {nullptr, nullptr, nullptr}, [] {
                  auto r = take_inherited_fds();
                  if (!r || !r->empty()) return 1;
                  return is_open(3) && !is_cloexec(3) ? 0 : 2;
              }),
              0);
}

TEST(InheritedFds, AnotherProcessesFdsAreIgnoredLeftAloneAndTheVariablesUnset) {
    const std::string parent = std::to_string(::getpid());
    EXPECT_EQ(in_child(1, {parent.c_str(), "1", "x"}, [] {
                  auto r = take_inherited_fds();
                  if (!r || !r->empty()) return 1;
                  if (!is_open(3) || is_cloexec(3)) return 2;
                  return environment_unset() ? 0 : 3;
              }),
              0);
}

TEST(InheritedFds, NameCountMismatchIsAnErrorAndNoFdIsTaken) {
    for (const char* names : {"a", "a:b:c"})
        EXPECT_EQ(in_child(2, {"self", "2", names}, [] {
                      auto r = take_inherited_fds();
                      if (r) return 1;
                      if (r.error().sys != EINVAL) return 2;
                      if (r.error().message.find("LISTEN_FDS") == std::string::npos) return 3;
                      return is_open(3) && is_open(4) ? 0 : 4;
                  }),
                  0)
            << names;
}

// libsystemd's errors: EINVAL for what is not a number (and for
// LISTEN_FDS=0, which no manager sends), ERANGE for a pid that cannot be one.
TEST(InheritedFds, GarbageNumbersAreErrors) {
    for (Env env : {Env{"x", "1", nullptr}, Env{"-5", "1", nullptr}, Env{"self", "abc", nullptr},
                    Env{"self", "-1", nullptr}, Env{"self", "0", nullptr}})
        EXPECT_EQ(in_child(1, env, [] {
                      auto r = take_inherited_fds();
                      if (r) return 1;
                      return r.error().sys == EINVAL || r.error().sys == ERANGE ? 0 : 2;
                  }),
                  0)
            << env.pid << " " << env.fds;
}

TEST(InheritedFds, AnFdThatIsNotOpenIsAnError) {
    EXPECT_EQ(in_child(1, {"self", "2", "a:b"}, [] {  // fd 4 is not open
                  ::close(4);
                  auto r = take_inherited_fds();
                  if (r) return 1;
                  return r.error().sys == EBADF ? 0 : 2;
              }),
              0);
}
