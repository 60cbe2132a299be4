// Implementation of sysfs_file.h: plain open/read/write/readlink/stat, errors as values.
#include "pci/sysfs_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace memdomain::pci {

std::string resolve_sysfs_root(const std::string& explicit_root) {
    if (!explicit_root.empty()) return explicit_root;
    const char* env = std::getenv("MEMDOMAIN_SYSFS_ROOT");
    if (env != nullptr && *env != '\0') return env;
    return "/sys";
}

Result<std::string> read_leading_bytes(const std::string& path, std::size_t max) {
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys_error("open " + path);
    std::string out(max, '\0');
    std::size_t got = 0;
    while (got < max) {
        ssize_t n = ::read(fd.get(), out.data() + got, max - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("read " + path);
        }
        if (n == 0) break;
        got += static_cast<std::size_t>(n);
    }
    out.resize(got);
    return out;
}

Result<std::string> read_attribute(const std::string& path) {
    constexpr std::size_t kMax = 4096;
    MD_ASSIGN_OR_RETURN(std::string out, read_leading_bytes(path, kMax + 1));
    if (out.size() > kMax) return make_error(path + ": attribute larger than 4 KiB", EFBIG);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

Result<std::uint64_t> read_number_attribute(const std::string& path) {
    MD_ASSIGN_OR_RETURN(std::string text, read_attribute(path));
    if (text.empty()) return make_error(path + ": empty, expected a number", EINVAL);
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 0);
    if (errno != 0 || end == text.c_str() || *end != '\0' || text[0] == '-')
        return make_error(path + ": '" + text + "' is not a number", EINVAL);
    return static_cast<std::uint64_t>(v);
}

Status write_attribute(const std::string& path, const std::string& value) {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return sys_error("open " + path + " for writing");
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return sys_error("write '" + value + "' to " + path);
    if (static_cast<std::size_t>(n) != value.size()) return make_error("short write to " + path, EIO);
    return {};
}

Result<std::string> link_basename(const std::string& path) {
    char buf[4096];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return sys_error("readlink " + path);
    std::string target(buf, static_cast<std::size_t>(n));
    while (!target.empty() && target.back() == '/') target.pop_back();
    auto slash = target.rfind('/');
    return slash == std::string::npos ? target : target.substr(slash + 1);
}

Result<std::uint64_t> file_size(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return sys_error("stat " + path);
    return static_cast<std::uint64_t>(st.st_size);
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

Result<sys::UniqueFd> open_path(const std::string& path, int flags) {
    sys::UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC));
    if (!fd) return sys_error("open " + path);
    return fd;
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) return sys_error("opendir " + path);
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    int err = errno;
    ::closedir(d);
    if (err != 0) return sys_error("readdir " + path, err);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace memdomain::pci
