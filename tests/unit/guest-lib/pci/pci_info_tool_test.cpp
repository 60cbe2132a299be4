// memdomain-info inside a guest, against sysfs-shaped trees: the listing
// names every ivshmem device that carries no valid domain, with the reason,
// and a domain on an ivshmem-plain device shows as a read-only observer
// without a peer id. The tool runs as its own process (by PID).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "pci_fixture.h"
#include "process.h"

namespace memdomain::test {
namespace {

using namespace std::chrono_literals;

class PciInfoTool : public PciTest {
protected:
    // Runs memdomain-info with `args` on the pci transport of `root`;
    // returns {exit status, output}.
    std::pair<int, std::string> run(const std::string& root, std::vector<std::string> args) {
        std::vector<std::string> argv = {MEMDOMAIN_INFO_PATH, "--transport", "pci", "--sysfs-root", root};
        argv.insert(argv.end(), args.begin(), args.end());
        Process::Options o;
        o.log_path = logs_.file("info-" + std::to_string(++runs_) + ".log");
        Process p(argv, o);
        auto status = p.wait(10s);
        EXPECT_TRUE(status) << "memdomain-info did not finish";
        const int code = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
        return {code, p.log()};
    }
    TempDir logs_;
    int runs_ = 0;
};

TEST_F(PciInfoTool, ListingNamesADeviceWithoutAMemdomainAndWhy) {
    auto foreign = sys::memfd_create("foreign", 4096);
    ASSERT_TRUE(foreign) << foreign.error().message;
    ASSERT_TRUE(sys::ftruncate(foreign->get(), 1 << 20));
    sysfs_.add_memory_device("0000:00:05.0", foreign->get(), 1);
    auto [code, out] = run(sysfs_.root(), {});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find(std::string(kDomain)), std::string::npos) << out;
    EXPECT_NE(out.find("0000:00:05.0: not a memdomain: bad magic"), std::string::npos) << out;

    auto [jcode, json] = run(sysfs_.root(), {"--json"});
    ASSERT_EQ(jcode, 0) << json;
    auto j = nlohmann::json::parse(json, nullptr, false);
    ASSERT_TRUE(j.is_array()) << json;
    ASSERT_EQ(j.size(), 2u) << json;
    EXPECT_FALSE(j[0].contains("problem")) << json;
    EXPECT_EQ(j[1]["location"], "0000:00:05.0");
    EXPECT_EQ(j[1]["problem"].get<std::string>().rfind("not a memdomain: bad magic", 0), 0u) << json;
}

TEST_F(PciInfoTool, ListingOfOnlyBrokenDevicesSaysNoDomainsAndNamesThem) {
    TempDir tree;
    FakeSysfs broken(tree.path() + "/sys");
    broken.add_bare_device("0000:00:07.0");
    auto [code, out] = run(broken.root(), {});
    EXPECT_EQ(code, 0) << out;
    EXPECT_NE(out.find("no domains found"), std::string::npos) << out;
    EXPECT_NE(out.find("0000:00:07.0: cannot read its shared memory"), std::string::npos) << out;
}

TEST_F(PciInfoTool, APlainDeviceShowsAsAReadOnlyObserverWithoutPeerId) {
    auto ro = sys::reopen(guest_->memfd(), O_RDONLY);
    ASSERT_TRUE(ro) << ro.error().message;
    TempDir tree;
    FakeSysfs plain(tree.path() + "/sys");
    plain.add_plain_device("0000:00:05.0", ro->get());
    auto [code, out] = run(plain.root(), {kDomain});
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("role:           observer"), std::string::npos) << out;
    EXPECT_NE(out.find("self:           none"), std::string::npos) << out;
    EXPECT_NE(out.find("access:         R/O"), std::string::npos) << out;
    EXPECT_NE(out.find("interrupt mode: none"), std::string::npos) << out;
    EXPECT_EQ(out.find("self:           0"), std::string::npos) << out;

    auto [jcode, json] = run(plain.root(), {kDomain, "--json"});
    ASSERT_EQ(jcode, 0) << json;
    auto j = nlohmann::json::parse(json, nullptr, false);
    ASSERT_TRUE(j.is_object()) << json;
    EXPECT_EQ(j["role"], "observer");
    EXPECT_TRUE(j["self"].is_null()) << json;
    EXPECT_EQ(j["access"], "R/O");
    EXPECT_EQ(j["interrupt_mode"], "none");
}

TEST_F(PciInfoTool, ADoorbellDeviceShowsAsAPeerWithItsId) {
    auto [code, out] = run(sysfs_.root(), {kDomain});
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("role:           peer"), std::string::npos) << out;
    EXPECT_NE(out.find("self:           " + std::to_string(guest_->id())), std::string::npos) << out;
}

}  // namespace
}  // namespace memdomain::test
