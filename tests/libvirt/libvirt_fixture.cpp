// The libvirt tests' environment and fixture; see libvirt_fixture.h.
#include "libvirt_fixture.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Libvirtd> g_libvirtd;
std::string g_error;

}  // namespace

void LibvirtEnvironment::SetUp() {
    // A user's own hook, which install.sh must leave alone and libvirt must
    // still run next to ours.
    std::filesystem::create_directories("/etc/libvirt/hooks");
    std::ofstream(kUserHook) << kUserHookText;
    ::chmod(kUserHook, 0755);
    // The hook goes in the way a user installs it, before libvirtd starts
    // (libvirt looks for hooks at start and on SIGHUP).
    const CommandResult installed =
        run_command({MEMDOMAIN_SOURCE_DIR "/libvirt-hooks/install.sh", "--hook", MEMDOMAIN_HOOK_PATH, "--no-reload"});
    if (installed.exit_code != 0) {
        g_error = "libvirt-hooks/install.sh failed:\n" + installed.output;
        return;
    }
    if (read_file(kUserHook) != kUserHookText) {
        g_error = "install.sh changed the user's own " + std::string(kUserHook);
        return;
    }
    g_libvirtd = std::make_unique<Libvirtd>();
    if (!g_libvirtd->ok()) g_error = g_libvirtd->start_error();
}

void LibvirtEnvironment::TearDown() { g_libvirtd.reset(); }

Libvirtd& LibvirtEnvironment::libvirtd() { return *g_libvirtd; }
const std::string& LibvirtEnvironment::error() { return g_error; }

void LibvirtTest::SetUp() {
    ASSERT_TRUE(LibvirtEnvironment::error().empty()) << LibvirtEnvironment::error();
    std::string why;
    auto image = GuestImage::find(&why);
    ASSERT_TRUE(image) << why;
    image_ = *image;
    work_ = std::make_unique<TempDir>();
}

void LibvirtTest::TearDown() {
    if (HasFailure() && server_) std::fprintf(stderr, "%s\n", logs().c_str());
}

void LibvirtTest::start_server(const std::string& config) {
    // The hook's default directory, in this namespace's private /run.
    std::error_code ec;
    std::filesystem::remove_all(kRunDir, ec);
    server_ = std::make_unique<Server>(config, std::vector<std::string>{}, std::vector<std::string>{}, kRunDir);
    ASSERT_TRUE(server_->ok()) << server_->start_error();
}

std::unique_ptr<LibvirtGuest> LibvirtTest::guest(GuestSpec spec) {
    return std::make_unique<LibvirtGuest>(virt(), image_, std::move(spec), work_->path());
}

Result<Domain> LibvirtTest::attach_host(const std::string& domain) {
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = kRunDir;
    return Domain::open(domain, o);
}

CommandResult LibvirtTest::ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {MEMDOMAINCTL_PATH, "--socket-dir", kRunDir};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 90s);
}

nlohmann::json LibvirtTest::show(const std::string& domain) {
    const CommandResult r = ctl({"--json", "show", domain});
    if (r.exit_code != 0) return nullptr;
    return nlohmann::json::parse(r.output, nullptr, false);
}

std::map<std::string, std::string> LibvirtTest::leases(const std::string& domain) {
    std::map<std::string, std::string> out;
    const nlohmann::json s = show(domain);
    if (!s.is_object()) return out;
    for (const auto& l : s["acl"]["leases"]) out[l["vm"].get<std::string>()] = l["access"].get<std::string>();
    return out;
}

std::vector<long long> LibvirtTest::peer_pids(const std::string& domain) {
    std::vector<long long> out;
    const nlohmann::json s = show(domain);
    if (!s.is_object()) return out;
    for (const auto& inst : s["instances"])
        for (const auto& seg : inst["segments"])
            for (const auto& p : seg["peers"]) out.push_back(p["pid"].get<long long>());
    return out;
}

std::string LibvirtTest::shmem_xml(const std::string& domain) {
    return "    <shmem name='" + domain + "'><model type='ivshmem-doorbell'/><server path='" + std::string(kRunDir) +
           "/" + domain + ".sock'/><msi vectors='2' ioeventfd='on'/></shmem>\n";
}

std::string LibvirtTest::logs() const {
    std::string out;
    if (server_) out += "--- memdomaind ---\n" + server_->log();
    if (g_libvirtd) out += "--- libvirtd ---\n" + g_libvirtd->log();
    return out;
}

int run_libvirt_tests(int argc, char** argv) {
    bool listing = false;
    for (int i = 1; i < argc; ++i)
        if (std::string(argv[i]).rfind("--gtest_list_tests", 0) == 0) listing = true;
    enter_sandbox(argc, argv, listing);
    ::testing::InitGoogleTest(&argc, argv);
    if (!listing) ::testing::AddGlobalTestEnvironment(new LibvirtEnvironment);
    return RUN_ALL_TESTS();
}

}  // namespace memdomain::test

int main(int argc, char** argv) { return memdomain::test::run_libvirt_tests(argc, argv); }
