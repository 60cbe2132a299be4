// The libvirt tests' private namespaces and daemons; see libvirt_sandbox.h.
#include "libvirt_sandbox.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace memdomain::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kStageVar = "MEMDOMAIN_LIBVIRT_SANDBOX";
constexpr const char* kDirVar = "MEMDOMAIN_LIBVIRT_SANDBOX_DIR";

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "libvirt test sandbox: %s\n", what.c_str());
    std::fflush(stderr);
    std::_Exit(1);
}

std::string self_path() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) die("cannot read /proc/self/exe");
    return std::string(buf, static_cast<std::size_t>(n));
}

// An overlay over `target` whose writes go to `upper` (created, with its
// work dir next to it, emptied first: overlayfs wants an empty one).
void overlay(const std::string& target, const std::string& upper, const std::string& work) {
    std::error_code ec;
    fs::create_directories(target, ec);
    fs::create_directories(upper, ec);
    fs::remove_all(work, ec);
    fs::create_directories(work, ec);
    const std::string opts = "lowerdir=" + target + ",upperdir=" + upper + ",workdir=" + work;
    if (::mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) != 0)
        die("mount -t overlay on " + target + " (" + opts + "): " + std::strerror(errno));
}

// qemu.conf for a test machine without systemd: no cgroups, no namespaces,
// no security driver, QEMU as root (so it may follow memdomaind's namespace
// links); the domains use TCG (type='qemu').
void configure_libvirt() {
    std::ofstream conf("/etc/libvirt/qemu.conf", std::ios::app);
    conf << "\n# memdomain's libvirt tests (tests/libvirt/libvirt_sandbox.cpp)\n"
            "user = \"root\"\ngroup = \"root\"\ndynamic_ownership = 0\nsecurity_driver = \"none\"\n"
            "namespaces = [ ]\ncgroup_controllers = [ ]\n";
    if (!conf) die("cannot write /etc/libvirt/qemu.conf");
    // Leftovers of a machine's own libvirt must not start here.
    std::error_code ec;
    for (const char* d : {"/etc/libvirt/qemu/autostart", "/etc/libvirt/qemu/networks/autostart"})
        for (const auto& e : fs::directory_iterator(d, ec)) fs::remove(e.path(), ec);
}

void mount_overlays(const std::string& dir) {
    overlay("/etc", dir + "/upper/etc", dir + "/work/etc");
    overlay("/var/lib/libvirt", dir + "/upper/var-lib-libvirt", dir + "/work/var-lib-libvirt");
    overlay("/var/log/libvirt", dir + "/upper/var-log-libvirt", dir + "/work/var-log-libvirt");
    // Kept between runs: libvirt's QEMU capability probe takes seconds.
    overlay("/var/cache/libvirt", MEMDOMAIN_LIBVIRT_CACHE_DIR "/upper", MEMDOMAIN_LIBVIRT_CACHE_DIR "/work");
    overlay("/run", dir + "/upper/run", dir + "/work/run");
    configure_libvirt();
}

// pid 1 of the namespace: runs the tests in a child and reaps every
// process that ends up orphaned here, until the tests are done.
[[noreturn]] void be_init(pid_t tests, const std::string& dir) {
    int status = 0;
    for (;;) {
        const pid_t p = ::waitpid(-1, &status, 0);
        if (p == tests) break;
        if (p < 0 && errno != EINTR) die("init lost its test process");
    }
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (code == 0) {
        std::error_code ec;
        for (const char* t : {"/run", "/var/cache/libvirt", "/var/log/libvirt", "/var/lib/libvirt", "/etc"})
            ::umount2(t, MNT_DETACH);
        fs::remove_all(dir, ec);
    } else {
        std::fprintf(stderr, "libvirt test sandbox: kept %s (libvirt's logs: upper/var-log-libvirt)\n", dir.c_str());
    }
    std::_Exit(code);  // the kernel now kills whatever is left in the namespace
}

}  // namespace

void enter_sandbox(int argc, char** argv, bool listing) {
    if (listing) return;
    const char* stage = std::getenv(kStageVar);
    if (!stage) {
        if (::geteuid() != 0)
            die("the libvirt tests run libvirtd in private namespaces and need root (CI runs as root)");
        ::setenv(kStageVar, "init", 1);
        std::vector<std::string> args = {"/usr/bin/unshare", "--mount",      "--pid",         "--fork",
                                         "--kill-child",     "--mount-proc", "--propagation", "private",
                                         self_path()};
        for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
        std::vector<char*> cargv;
        for (auto& a : args) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        ::execv(cargv[0], cargv.data());
        die(std::string("cannot run /usr/bin/unshare: ") + std::strerror(errno));
    }
    if (std::string(stage) != "init" || ::getpid() != 1) return;
    char tmpl[] = "/tmp/memdomain-libvirt-XXXXXX";
    if (!::mkdtemp(tmpl)) die(std::string("mkdtemp: ") + std::strerror(errno));
    const std::string dir = tmpl;
    mount_overlays(dir);
    ::setenv(kStageVar, "tests", 1);
    ::setenv(kDirVar, dir.c_str(), 1);
    const pid_t child = ::fork();
    if (child < 0) die(std::string("fork: ") + std::strerror(errno));
    if (child == 0) return;
    be_init(child, dir);
}

const std::string& sandbox_dir() {
    static const std::string dir = std::getenv(kDirVar) ? std::getenv(kDirVar) : "/tmp";
    return dir;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    static int counter = 0;
    Process::Options o;
    o.log_path = sandbox_dir() + "/cmd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log";
    Process p(argv, o);
    auto st = p.wait(timeout);
    CommandResult r;
    r.output = p.log();
    if (!st) {
        p.kill();
        r.output += "\n(killed after " + std::to_string(timeout.count()) + " ms)";
    } else {
        r.exit_code = WIFEXITED(*st) ? WEXITSTATUS(*st) : 128 + WTERMSIG(*st);
    }
    ::unlink(o.log_path.c_str());
    return r;
}

Libvirtd::Libvirtd() { start(); }

Libvirtd::~Libvirtd() {
    // Every VM first: libvirtd would leave them running.
    const CommandResult names = virsh({"list", "--name"}, 20s);
    std::istringstream in(names.output);
    for (std::string name; std::getline(in, name);)
        if (!name.empty()) (void)virsh({"destroy", name}, 30s);
    stop();
}

bool Libvirtd::start() {
    Process::Options o;
    o.log_path = sandbox_dir() + "/virtlogd.log";
    virtlogd_ = Process({"/usr/sbin/virtlogd"}, o);
    return start_libvirtd();
}

bool Libvirtd::start_libvirtd() {
    Process::Options o;
    o.log_path = sandbox_dir() + "/libvirtd.log";
    libvirtd_ = Process({"/usr/sbin/libvirtd"}, o);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!libvirtd_.running()) break;
        if (virsh({"version"}, 10s).exit_code == 0) {
            error_.clear();
            return true;
        }
        std::this_thread::sleep_for(100ms);
    }
    error_ = "libvirtd did not answer virsh within 60 s; its log:\n" + log();
    return false;
}

void Libvirtd::stop() {
    for (Process* p : {&libvirtd_, &virtlogd_}) {
        if (p->pid() <= 0) continue;
        p->signal(SIGTERM);
        if (!p->wait(15s)) p->kill();
    }
}

bool Libvirtd::restart() {
    // libvirtd only, as `systemctl restart libvirtd` does: virtlogd holds the
    // pipes of the VMs' consoles and logs.
    libvirtd_.signal(SIGTERM);
    if (!libvirtd_.wait(20s)) {
        error_ = "libvirtd did not stop on SIGTERM";
        libvirtd_.kill();
        return false;
    }
    return start_libvirtd();
}

void Libvirtd::reload() { libvirtd_.signal(SIGHUP); }

CommandResult Libvirtd::virsh(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv = {"/usr/bin/virsh", "-q", "-c", "qemu:///system"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, timeout);
}

std::string Libvirtd::log() const { return read_file(sandbox_dir() + "/libvirtd.log"); }

}  // namespace memdomain::test
