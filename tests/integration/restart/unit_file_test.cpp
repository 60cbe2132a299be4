// The generated systemd unit (build/host-server/memdomaind.service) asks
// systemd for what the restart design needs: Type=notify (READY=1 and
// STOPPING=1), a file-descriptor store (FileDescriptorStoreMax=), a restart
// on every exit but a stop (Restart=always), and SIGHUP as the reload.
// systemd does not run here, so the unit is checked as text, and by
// `systemd-analyze verify` when that tool is installed.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "process.h"
#include "restart_helpers.h"
#include "server_fixture.h"

namespace memdomain::test {
namespace {

// The [Service] section's assignments; a key set twice keeps its last value
// (what systemd does for these single-valued settings).
std::map<std::string, std::string> service_section(const std::string& unit) {
    std::map<std::string, std::string> out;
    std::istringstream in(unit);
    std::string line, section;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') {
            section = line;
            continue;
        }
        const auto eq = line.find('=');
        if (section == "[Service]" && eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
}

std::string systemd_analyze() {
    for (const char* p : {"/usr/bin/systemd-analyze", "/bin/systemd-analyze", "/usr/local/bin/systemd-analyze"})
        if (::access(p, X_OK) == 0) return p;
    return "";
}

struct Verified {
    int exit_code = -1;
    std::string output;
};
// `systemd-analyze verify` on a copy of `unit` named memdomaind.service whose
// memdomaind is the one just built (verify insists the program exists).
Verified verify(const std::string& analyze, std::string unit) {
    const auto exec = unit.find("\nExecStart=");
    if (exec == std::string::npos) return {-1, "no ExecStart= in the unit"};
    const auto at = exec + 11;
    const std::string installed = unit.substr(at, unit.find_first_of(" \n", at) - at);
    for (auto pos = unit.find(installed); pos != std::string::npos; pos = unit.find(installed, pos + 1))
        unit.replace(pos, installed.size(), memdomaind_path());
    TempDir dir;
    const std::string path = dir.file("memdomaind.service");
    std::ofstream(path) << unit;
    Process::Options o;
    o.log_path = dir.file("verify.log");
    Process p({analyze, "verify", path}, o);
    Verified v;
    if (auto st = p.wait(std::chrono::seconds(30)); st && WIFEXITED(*st)) v.exit_code = WEXITSTATUS(*st);
    v.output = read_file(o.log_path);
    return v;
}

class UnitFile : public ::testing::Test {
protected:
    void SetUp() override {
        unit_ = read_file(MEMDOMAIND_SERVICE_PATH);
        ASSERT_FALSE(unit_.empty()) << "no generated unit at " << MEMDOMAIND_SERVICE_PATH;
        service_ = service_section(unit_);
    }
    std::string unit_;
    std::map<std::string, std::string> service_;
};

TEST_F(UnitFile, IsANotifyServiceWhoseMainProcessMayNotify) {
    EXPECT_EQ(service_["Type"], "notify");
    // FDSTORE=1 and READY=1 come from memdomaind itself, the main process.
    if (service_.count("NotifyAccess")) {
        EXPECT_NE(service_["NotifyAccess"], "none");
    }
    EXPECT_NE(service_["ExecStart"].find("/memdomaind "), std::string::npos) << service_["ExecStart"];
}

TEST_F(UnitFile, KeepsAFileDescriptorStore) {
    ASSERT_TRUE(service_.count("FileDescriptorStoreMax")) << unit_;
    const std::string& v = service_["FileDescriptorStoreMax"];
    ASSERT_FALSE(v.empty());
    ASSERT_EQ(v.find_first_not_of("0123456789"), std::string::npos) << v;
    // Every segment is one fd, plus md.state: room for many domains.
    EXPECT_GE(std::stoul(v), 1024u) << v;
}

TEST_F(UnitFile, RestartsOnEveryExitButAStop) { EXPECT_EQ(service_["Restart"], "always"); }

TEST_F(UnitFile, ReloadSendsSighupToTheMainProcess) {
    const std::string& r = service_["ExecReload"];
    const bool hup = r.find("-HUP") != std::string::npos || r.find("-SIGHUP") != std::string::npos ||
                     r.find("-s HUP") != std::string::npos;
    EXPECT_TRUE(hup) << r;
    EXPECT_NE(r.find("$MAINPID"), std::string::npos) << r;
}

TEST_F(UnitFile, PassesSystemdAnalyzeVerify) {
    const std::string analyze = systemd_analyze();
    if (analyze.empty()) GTEST_SKIP() << "systemd-analyze is not installed (apt-get install systemd)";
    const Verified v = verify(analyze, unit_);
    EXPECT_EQ(v.exit_code, 0) << v.output;
    // verify exits 0 on settings it ignores, but names them with the file.
    EXPECT_EQ(v.output.find("memdomaind.service"), std::string::npos) << v.output;

    // The same check sees a broken unit (so it is not vacuous).
    std::string broken = unit_;
    const auto type = broken.find("\nType=notify\n");
    ASSERT_NE(type, std::string::npos);
    broken.replace(type, 13, "\nType=notifyy\n");
    const Verified b = verify(analyze, broken);
    EXPECT_NE(b.output.find("memdomaind.service"), std::string::npos) << b.output;
}

}  // namespace
}  // namespace memdomain::test
