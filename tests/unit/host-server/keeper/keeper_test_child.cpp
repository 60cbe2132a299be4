// A tiny service for keeper_test, speaking the fd-store protocol the way
// memdomaind does. Usage: keeper_test_child REPORT_FILE
//
// On every start it appends one line to REPORT_FILE:
//     START pid=<pid> notify=<$NOTIFY_SOCKET> fds=<open fds> names=<a:b> <name>=<first bytes>...
// ("fds" counts every open fd but 0-2, to show nothing else leaked in), then
//   - stores a memfd "segment-A" holding "hello-persist" if it inherited none,
//   - stores a memfd "generation" holding "gen=<inherited gen + 1>" (the
//     keeper replaces the old one),
//   - stores a memfd "temp" and removes it again,
//   - with KEEPER_TEST_CRASH_AFTER_STORE=1 on its first run (nothing
//     inherited): kills itself with SIGKILL right after storing,
//   - sends READY=1, and waits: SIGTERM makes it exit 0 (or is ignored when
//     KEEPER_TEST_IGNORE_TERM=1 is in the environment).
// A failure is reported as "ERROR <what>" and exit status 3.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"
#include "persist/fd_store.h"
#include "persist/notify.h"
#include "persist/inherited_fds.h"

using namespace memdomain;

namespace {

std::string report_path;

void report(const std::string& line) {
    int fd = ::open(report_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    const std::string l = line + "\n";
    (void)!::write(fd, l.data(), l.size());
    ::close(fd);
}

[[noreturn]] void fail(const std::string& what) {
    report("ERROR pid=" + std::to_string(::getpid()) + " " + what);
    std::exit(3);
}

int count_open_fds_above_2() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (dirent* e = ::readdir(d))
        if (e->d_name[0] != '.' && std::atoi(e->d_name) > 2) ++n;
    ::closedir(d);
    return n - 1;  // opendir's own
}

std::string first_bytes(int fd) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    return n > 0 ? std::string(buf, ::strnlen(buf, static_cast<std::size_t>(n))) : std::string();
}

sys::UniqueFd memfd_with(const std::string& name, const std::string& content) {
    auto m = sys::memfd_create(name, 4096);
    if (!m) fail("memfd_create: " + m.error().message);
    if (::pwrite(m->get(), content.data(), content.size(), 0) != static_cast<ssize_t>(content.size()))
        fail("pwrite " + name);
    return std::move(*m);
}

void on_sigterm(int) { ::_exit(0); }

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    report_path = argv[1];
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the keeper in a test
    const char* ignore = std::getenv("KEEPER_TEST_IGNORE_TERM");
    ::signal(SIGTERM, ignore && std::string(ignore) == "1" ? SIG_IGN : on_sigterm);

    const char* names_env = std::getenv("LISTEN_FDNAMES");
    const std::string names = names_env ? names_env : "";
    const int fds_open = count_open_fds_above_2();
    auto inherited = persist::take_inherited_fds();
    if (!inherited) fail(inherited.error().message);
    const char* notify = std::getenv("NOTIFY_SOCKET");
    std::string line = "START pid=" + std::to_string(::getpid()) + " notify=" + (notify ? notify : "") +
                       " fds=" + std::to_string(fds_open) + " names=" + names;
    bool have_segment = false;
    int generation = 0;
    for (const auto& f : *inherited) {
        const std::string content = first_bytes(f.fd.get());
        line += " " + f.name + "=" + content;
        if (f.name == "segment-A") have_segment = true;
        if (f.name == "generation" && content.starts_with("gen=")) generation = std::atoi(content.c_str() + 4);
    }
    report(line);

    persist::FdStore store = persist::FdStore::from_environment();
    if (!store.enabled()) fail("no NOTIFY_SOCKET");
    if (!have_segment) {
        sys::UniqueFd seg = memfd_with("segment-A", "hello-persist");
        if (auto st = store.store("segment-A", seg.get()); !st) fail(st.error().message);
    }
    sys::UniqueFd gen = memfd_with("generation", "gen=" + std::to_string(generation + 1));
    if (auto st = store.store("generation", gen.get()); !st) fail(st.error().message);
    sys::UniqueFd temp = memfd_with("temp", "temporary");
    if (auto st = store.store("temp", temp.get()); !st) fail(st.error().message);
    if (auto st = store.remove("temp"); !st) fail(st.error().message);
    const char* crash = std::getenv("KEEPER_TEST_CRASH_AFTER_STORE");
    if (!have_segment && crash && std::string(crash) == "1") ::kill(::getpid(), SIGKILL);
    if (auto st = persist::notify(persist::kReady); !st || !*st) fail(st ? "no NOTIFY_SOCKET" : st.error().message);
    for (;;) ::pause();
}
