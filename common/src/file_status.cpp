#include "memdomain/sys/file_status.h"

#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace memdomain::sys {
namespace {

std::int64_t ns_of(const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

std::int64_t clock_ns(clockid_t clock) {
    timespec t{};
    ::clock_gettime(clock, &t);
    return ns_of(t);
}

}  // namespace

Result<FileStatus> file_status(const std::string& path) {
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) return sys_error("lstat " + path);
    FileStatus f;
    f.uid = st.st_uid;
    f.gid = st.st_gid;
    f.mode = st.st_mode;
    f.links = st.st_nlink;
    f.regular = S_ISREG(st.st_mode);
    f.directory = S_ISDIR(st.st_mode);
    f.symlink = S_ISLNK(st.st_mode);
    f.mtime_ns = ns_of(st.st_mtim);
    return f;
}

Result<std::int64_t> process_start_boottime_ns(pid_t pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    std::ifstream in(path);
    std::string line;
    if (!in || !std::getline(in, line)) return make_error("cannot read " + path + " (no such process?)", ESRCH);
    // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so
    // count fields from the last ')'. starttime is field 22, the 20th after it.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return make_error("unexpected format of " + path, EBADMSG);
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    for (int i = 0; i < 20; ++i)
        if (!(fields >> field)) return make_error("unexpected format of " + path, EBADMSG);
    std::uint64_t ticks = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), ticks);
    if (ec != std::errc() || end != field.data() + field.size())
        return make_error("unexpected start time '" + field + "' in " + path, EBADMSG);
    const long hz = ::sysconf(_SC_CLK_TCK);
    if (hz <= 0) return make_error("sysconf(_SC_CLK_TCK) failed", EINVAL);
    return static_cast<std::int64_t>(ticks / static_cast<std::uint64_t>(hz)) * 1000000000 +
           static_cast<std::int64_t>(ticks % static_cast<std::uint64_t>(hz)) * (1000000000 / hz);
}

std::int64_t realtime_minus_boottime_ns() { return clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME); }

}  // namespace memdomain::sys
