#include "acl/libvirt_vm.h"

#include <charconv>
#include <filesystem>
#include <fstream>

#include "memdomain/sys/file_status.h"

namespace memdomain::server {
namespace {

constexpr std::string_view kPidSuffix = ".pid";
constexpr std::size_t kMaxPidFile = 32;

bool writable_by_others(mode_t mode) { return (mode & 022) != 0; }

// The pid in a pid file ("1234\n"), or nullopt for anything else.
std::optional<pid_t> read_pid(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char buf[kMaxPidFile + 1] = {};
    in.read(buf, kMaxPidFile + 1);
    const std::streamsize n = in.gcount();
    if (n <= 0 || n > static_cast<std::streamsize>(kMaxPidFile)) return std::nullopt;
    std::string_view text(buf, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
    return pid;
}

// Checks 2 and 3 of the header for a pid file that names `pid`; "" when it
// holds, else why not.
std::string check_pid_file(const std::string& dir, const std::string& vm, pid_t pid) {
    const std::string pid_path = dir + "/" + vm + std::string(kPidSuffix);
    auto st = sys::file_status(pid_path);
    if (!st) return st.error().message;
    if (!st->regular || st->uid != 0 || writable_by_others(st->mode) || st->links != 1)
        return pid_path + " is not a regular root-owned file writable by root only";
    const std::string status_path = dir + "/" + vm + ".xml";
    auto xml = sys::file_status(status_path);
    if (!xml || !xml->regular || xml->uid != 0)
        return "no root-owned " + status_path + " next to " + pid_path + " (not a running VM)";
    auto started = sys::process_start_boottime_ns(pid);
    if (!started) return started.error().message;
    const std::int64_t written = st->mtime_ns - sys::realtime_minus_boottime_ns();
    const std::int64_t slack = std::chrono::nanoseconds(kPidFileSlack).count();
    if (*started > written + slack)
        return "pid " + std::to_string(pid) + " started after " + pid_path +
               " was written: it reuses the pid of a QEMU that is gone";
    return "";
}

}  // namespace

VmLookup libvirt_vm_of(pid_t pid, const std::string& run_dir) {
    VmLookup out;
    if (run_dir.empty() || pid <= 0) return out;
    auto dir = sys::file_status(run_dir);
    if (!dir) {
        if (dir.error().sys != ENOENT) out.note = "libvirt run directory: " + dir.error().message;
        return out;
    }
    if (!dir->directory || dir->uid != 0 || writable_by_others(dir->mode)) {
        out.note = "libvirt run directory " + run_dir +
                   " is not a directory owned and writable by root only: its pid files are not trusted";
        return out;
    }
    std::error_code ec;
    std::filesystem::directory_iterator it(run_dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        const std::filesystem::path& path = it->path();
        const std::string file = path.filename().string();
        if (file.size() <= kPidSuffix.size() || file.front() == '.' ||
            file.compare(file.size() - kPidSuffix.size(), kPidSuffix.size(), kPidSuffix) != 0)
            continue;
        if (read_pid(path.string()) != pid) continue;
        const std::string vm = file.substr(0, file.size() - kPidSuffix.size());
        if (std::string why = check_pid_file(run_dir, vm, pid); !why.empty()) {
            out.note = why;
            continue;
        }
        out.vm = vm;
        out.note.clear();
        return out;
    }
    if (ec) out.note = "cannot list " + run_dir + ": " + ec.message();
    return out;
}

}  // namespace memdomain::server
