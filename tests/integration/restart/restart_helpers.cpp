#include "restart_helpers.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "memdomain/common/sizes.h"
#include "memdomain/sys/memory.h"
#include "server_fixture.h"

namespace memdomain::test {
PeerProcess::PeerProcess(const std::string& socket_dir, const std::string& name, const std::string& log_path,
                         std::vector<std::string> args, const std::string& user) {
    std::vector<std::string> argv = {MD_RESTART_PEER_PATH, socket_dir, name};
    argv.insert(argv.end(), args.begin(), args.end());
    Process::Options o;
    o.log_path = log_path;
    o.user = user;
    proc_ = Process(argv, o);
}

std::optional<std::string> PeerProcess::line(const std::string& prefix, std::chrono::milliseconds timeout) {
    std::optional<std::string> found;
    eventually(
        [&] {
            const std::string out = log();
            for (std::size_t pos = 0; pos < out.size();) {
                const auto nl = out.find('\n', pos);
                if (nl == std::string::npos) break;  // only whole lines
                if (out.compare(pos, prefix.size(), prefix) == 0) {
                    found = out.substr(pos + prefix.size(), nl - pos - prefix.size());
                    return true;
                }
                pos = nl + 1;
            }
            return false;
        },
        timeout);
    return found;
}

std::string generation_hex(std::uint64_t generation) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(generation));
    return buf;
}

Result<Domain> open_domain(const std::string& socket_dir, const std::string& name) {
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = socket_dir;
    return Domain::open(name, o);
}

std::string data_head(const Domain& d) {
    const char* p = static_cast<const char*>(d.data());
    return std::string(p, ::strnlen(p, 64));
}

void write_data(Domain& d, const std::string& text) { std::memcpy(d.data(), text.c_str(), text.size() + 1); }

CtlResult run_ctl(const std::string& socket_dir, const std::vector<std::string>& args) {
    TempDir out;
    std::vector<std::string> argv = {MEMDOMAINCTL_PATH, "--socket-dir", socket_dir};
    argv.insert(argv.end(), args.begin(), args.end());
    Process::Options o;
    o.log_path = out.file("ctl.log");
    Process p(argv, o);
    CtlResult r;
    if (auto st = p.wait(std::chrono::seconds(20)); st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
    r.output = read_file(o.log_path);
    return r;
}

std::optional<nlohmann::json> ctl_show(const std::string& socket_dir, const std::string& name) {
    const CtlResult r = run_ctl(socket_dir, {"--json", "show", name});
    if (r.exit_code != 0) return std::nullopt;
    auto j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
}

std::optional<std::uint64_t> hugepages_free_2m() {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool) return std::nullopt;
    return pool->free;
}

std::optional<std::uint64_t> hugepages_available_2m() {
    auto pool = sys::hugepage_pool(2 * MiB);
    if (!pool) return std::nullopt;
    return pool->available();
}

}  // namespace memdomain::test
