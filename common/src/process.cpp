#include "memdomain/sys/process.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <limits>

namespace memdomain::sys {

Result<std::string> read_symlink(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return sys_error("readlink " + path);
    return std::string(buf, static_cast<std::size_t>(n));
}

Result<std::string> process_executable(pid_t pid) { return read_symlink("/proc/" + std::to_string(pid) + "/exe"); }

std::string own_fd_path(int fd) { return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd); }

Status set_owner(const std::string& path, uid_t uid, gid_t gid) {
    if (::chown(path.c_str(), uid, gid) != 0)
        return sys_error("chown " + path + " to " + std::to_string(uid) + ":" + std::to_string(gid));
    return {};
}

Status set_mode(const std::string& path, mode_t mode) {
    if (::chmod(path.c_str(), mode) != 0) return sys_error("chmod " + path);
    return {};
}

Status replace_symlink(const std::string& target, const std::string& link_path) {
    const std::string tmp = link_path + ".tmp" + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0) return sys_error("symlink " + tmp);
    if (::rename(tmp.c_str(), link_path.c_str()) != 0) {
        Error e = sys_error("rename " + tmp + " to " + link_path);
        ::unlink(tmp.c_str());
        return e;
    }
    return {};
}

}  // namespace memdomain::sys

namespace memdomain::sys {

long count_open_fds() {
    long n = 0;
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
    if (ec) {
        errno = ec.value();  // EMFILE: no descriptor left to open the directory with
        return -1;
    }
    return n - 1;  // the iterator's own descriptor of /proc/self/fd
}

long open_fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return -1;
    return r.rlim_cur == RLIM_INFINITY ? std::numeric_limits<long>::max() : static_cast<long>(r.rlim_cur);
}

}  // namespace memdomain::sys
