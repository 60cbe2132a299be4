#include "persist/inherited_fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <cstdlib>

namespace memdomain::persist {
namespace {

// More than any service manager would pass (systemd allows at most a few
// thousand); a larger count is garbage, not a request to adopt half the table.
constexpr long kMaxInheritedFds = 1 << 16;

std::optional<long> parse_number(const std::string& s) {
    long v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::vector<std::string> split_names(const std::string& s) {
    std::vector<std::string> names;
    std::size_t start = 0;
    for (;;) {
        std::size_t colon = s.find(':', start);
        names.push_back(s.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
        if (colon == std::string::npos) return names;
        start = colon + 1;
    }
}

std::optional<std::string> env_value(const char* name) {
    const char* v = std::getenv(name);
    if (v == nullptr) return std::nullopt;
    return std::string(v);
}

}  // namespace

Result<std::vector<InheritedFd>> take_inherited_fds(const ListenEnvironment& env, pid_t self, int first_fd) {
    std::vector<InheritedFd> out;
    if (!env.listen_pid || !env.listen_fds) return out;
    auto pid = parse_number(*env.listen_pid);
    if (!pid || *pid <= 0)
        return make_error("inherited fds: LISTEN_PID='" + *env.listen_pid + "' is not a process id", EINVAL);
    if (*pid != self) return out;  // meant for another process (our parent, say)
    auto count = parse_number(*env.listen_fds);
    if (!count || *count < 0 || *count > kMaxInheritedFds)
        return make_error("inherited fds: LISTEN_FDS='" + *env.listen_fds + "' is not a count of fds", EINVAL);
    if (*count == 0) return out;
    std::vector<std::string> names;
    if (env.listen_fdnames) {
        names = split_names(*env.listen_fdnames);
        if (names.size() != static_cast<std::size_t>(*count))
            return make_error("inherited fds: LISTEN_FDNAMES has " + std::to_string(names.size()) +
                                  " names for LISTEN_FDS=" + std::to_string(*count) + " fds",
                              EINVAL);
    } else {
        names.assign(static_cast<std::size_t>(*count), "unknown");
    }
    // Check every fd before adopting any: on error nothing is closed.
    for (long i = 0; i < *count; ++i) {
        const int fd = first_fd + static_cast<int>(i);
        if (::fcntl(fd, F_GETFD) < 0)
            return make_error("inherited fds: fd " + std::to_string(fd) + " ('" + names[static_cast<std::size_t>(i)] +
                                  "') named by LISTEN_FDS is not open",
                              EBADF);
    }
    for (long i = 0; i < *count; ++i) {
        const int fd = first_fd + static_cast<int>(i);
        int flags = ::fcntl(fd, F_GETFD);
        if (flags >= 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);  // cannot fail on an open fd
        out.push_back(InheritedFd{std::move(names[static_cast<std::size_t>(i)]), sys::UniqueFd(fd)});
    }
    return out;
}

Result<std::vector<InheritedFd>> take_inherited_fds() {
    ListenEnvironment env{env_value("LISTEN_PID"), env_value("LISTEN_FDS"), env_value("LISTEN_FDNAMES")};
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    return take_inherited_fds(env, ::getpid());
}

}  // namespace memdomain::persist
