// See dpdk_run.h.
#include "dpdk_run.h"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <regex>
#include <sstream>

#include "eventually.h"

namespace memdomain::test::dpdk {

std::string peer_path() { return DPDK_PEER_PATH; }
namespace {

// True if `path` or a directory above it is world-writable: the EAL refuses
// to load a plugin from there ("directory path /tmp is world-writable and
// insecure"), so a checkout under /tmp could not run these tests.
bool under_world_writable(std::filesystem::path path) {
    for (path = path.parent_path(); !path.empty(); path = path.parent_path()) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0) return true;
        if (path == path.root_path()) break;
    }
    return false;
}

// A copy of the built plugin in a private directory under /run (the tests
// run as root), removed when the test process that made it exits.
class StagedPlugin {
public:
    explicit StagedPlugin(const std::filesystem::path& built)
        : owner_(::getpid()), dir_("/run/memdomain-test-pmd-" + std::to_string(owner_)) {
        std::error_code ec;
        std::filesystem::create_directory(dir_, ec);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all, ec);
        path_ = dir_ / built.filename();
        std::filesystem::copy_file(built, path_, std::filesystem::copy_options::overwrite_existing, ec);
        if (ec) path_ = built;
    }
    ~StagedPlugin() {
        std::error_code ec;
        if (::getpid() == owner_) std::filesystem::remove_all(dir_, ec);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    pid_t owner_;
    std::filesystem::path dir_;
    std::filesystem::path path_;
};

}  // namespace

// The built plugin, or where the EAL would not load it from there, a staged
// copy.
std::string pmd_path() {
    const std::filesystem::path built = NET_MEMDOMAIN_PMD_PATH;
    if (!under_world_writable(built)) return built.string();
    static const StagedPlugin staged(built);
    return staged.path().string();
}

std::vector<std::string> eal_args(const std::string& lcores, bool hugepages, const std::string& file_prefix,
                                  const std::vector<std::string>& vdevs) {
    std::vector<std::string> a = {"--lcores", lcores, "--main-lcore", "0", "--no-pci", "--no-telemetry",
                                  "--file-prefix", file_prefix, "-d", pmd_path(), "--log-level", "pmd.net.memdomain:info"};
    if (hugepages) {
        a.insert(a.end(), {"--in-memory"});  // pages on demand: the pool is shared
    } else {
        a.insert(a.end(), {"--no-huge", "-m", "256", "--no-shconf"});
    }
    for (const std::string& v : vdevs) a.insert(a.end(), {"--vdev", v});
    return a;
}

std::string vdev(const std::string& domain, const Server& server, const std::string& extra) {
    std::string v = "net_memdomain0,domain=" + domain + ",socket-dir=" + server.socket_dir();
    if (!extra.empty()) v += "," + extra;
    return v;
}

std::string dpdk_domain_config(const std::string& name, const std::string& size, const std::string& page) {
    return domain_config(name, size, 2, page, "R/W");
}

DpdkProcess::DpdkProcess(const std::string& what, std::vector<std::string> argv, const TempDir& logs) {
    Process::Options o;
    o.log_path = logs.file(what + ".log");
    proc_ = Process(argv, o);
}

bool DpdkProcess::wait_for(const std::string& text, std::chrono::milliseconds timeout) {
    return eventually([&] { return log().find(text) != std::string::npos; }, timeout);
}

std::optional<int> DpdkProcess::stop(std::chrono::milliseconds timeout) {
    if (!proc_.running()) return proc_.wait(std::chrono::milliseconds(0));
    proc_.signal(SIGINT);
    auto st = proc_.wait(timeout);
    if (!st) proc_.kill();
    return st;
}

std::vector<std::string> testpmd_argv(const std::string& mode, int fwd_cpu, const std::string& prefix,
                                      const std::string& vdev, unsigned frame, bool hugepages, unsigned queues) {
    const std::string lcores = fwd_cpu == 1 ? "0@0,1@1" : "0@1,1@0";
    std::vector<std::string> a = {kTestpmd};
    for (std::string& s : eal_args(lcores, hugepages, prefix, {vdev})) a.push_back(std::move(s));
    a.insert(a.end(), {"--", "--forward-mode=" + mode, "--txpkts=" + std::to_string(frame),
                       "--total-num-mbufs=16384", "--stats-period", "1", "--auto-start", "--nb-cores=1"});
    // testpmd drains its Rx queues before it starts forwarding (and before
    // it snapshots the counters it reports): frames the sender sent in that
    // window would be counted by the sender and not by us.
    if (mode == "rxonly") a.push_back("--no-flush-rx");
    if (queues > 1) a.insert(a.end(), {"--rxq=" + std::to_string(queues), "--txq=" + std::to_string(queues)});
    return a;
}

std::optional<PortCounts> testpmd_counts(const std::string& log) {
    const auto at = log.rfind("Forward statistics for port 0");
    if (at == std::string::npos) return std::nullopt;
    const std::string block = log.substr(at, 600);
    std::smatch m;
    PortCounts c;
    if (!std::regex_search(block, m, std::regex(R"(RX-packets:\s+(\d+))"))) return std::nullopt;
    c.rx = std::stoull(m[1]);
    if (!std::regex_search(block, m, std::regex(R"(TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+))"))) return std::nullopt;
    c.tx = std::stoull(m[1]);
    c.tx_dropped = std::stoull(m[2]);
    return c;
}

std::optional<std::uint64_t> last_number(const std::string& log, const std::string& label) {
    const auto at = log.rfind(label);
    if (at == std::string::npos) return std::nullopt;
    std::smatch m;
    const std::string rest = log.substr(at + label.size(), 40);
    if (!std::regex_search(rest, m, std::regex(R"(^\s*(\d+))"))) return std::nullopt;
    return std::stoull(m[1]);
}

std::optional<std::string> field(const std::string& log, const std::string& prefix, const std::string& key) {
    std::istringstream in(log);
    std::string line, found;
    while (std::getline(in, line))
        if (line.rfind(prefix, 0) == 0) found = line;
    if (found.empty()) return std::nullopt;
    std::smatch m;
    if (!std::regex_search(found, m, std::regex("(^| )" + key + "=(\\S+)"))) return std::nullopt;
    return m[2].str();
}

}  // namespace memdomain::test::dpdk
