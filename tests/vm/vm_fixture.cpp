// The VM test fixture; see vm_fixture.h.
#include "vm_fixture.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

namespace memdomain::test {

namespace {

// 4K pages: these tests must not depend on the hugepage pool.
const std::string kConfig = domain_config("VmTest");

std::string current_test() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    return info ? std::string(info->test_suite_name()) + "." + info->name() : "?";
}

}  // namespace

void VmTest::SetUp() {
    std::string why;
    auto image = GuestImage::find(&why);
    if (!image) {
        if (!MEMDOMAIN_GUEST_IMAGE_EXPECTED) GTEST_SKIP() << why;
        FAIL() << why;
    }
    image_ = *image;
    if (::access(qemu_binary().c_str(), X_OK) != 0)
        GTEST_SKIP() << "no QEMU at " << qemu_binary() << " (apt-get install qemu-system-x86, or set MEMDOMAIN_QEMU)";
    server_ = std::make_unique<Server>(kConfig);
    ASSERT_TRUE(server_->ok()) << server_->start_error();
}

bool VmTest::image_has(const std::string& tool) { return image_.has_tool(tool); }

std::unique_ptr<Vm> VmTest::boot(const std::string& name, const std::string& scenario, std::vector<std::string> args) {
    VmConfig c;
    c.name = name;
    c.scenario = scenario;
    c.guest_args = {std::string("domain=") + kVmDomain};
    c.guest_args.insert(c.guest_args.end(), args.begin(), args.end());
    c.doorbell_socket = server_->socket(kVmDomain);
    c.vectors = 2;
    return std::make_unique<Vm>(image_, c, work_.path());
}

Result<Domain> VmTest::attach_host() {
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = server_->socket_dir();
    return Domain::open(kVmDomain, o);
}

TestBoard* VmTest::board(Domain& d) {
    return reinterpret_cast<TestBoard*>(static_cast<std::byte*>(d.data()) + kBoardOffset);
}

::testing::AssertionResult VmTest::passed(Vm& vm) {
    auto r = vm.report();
    if (r.passed() && r.powered_off) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << vm.name() << ": result "
                                         << (r.result ? *r.result : std::string("(none)"))
                                         << (r.powered_off ? "" : ", never reached poweroff") << "\n"
                                         << vm.describe() << "\n--- memdomaind log ---\n"
                                         << server_->log();
}

void VmTest::metric(const std::string& what, double value, const std::string& unit) {
    std::printf("[ VM-METRIC ] %s: %s = %.3f %s\n", current_test().c_str(), what.c_str(), value, unit.c_str());
    std::fflush(stdout);
    std::string key = what;
    for (char& ch : key)
        if (ch == ' ') ch = '_';
    RecordProperty(key, std::to_string(value) + " " + unit);
}

void VmTest::report_times(Vm& vm) {
    if (vm.boot_seconds() >= 0) metric(vm.name() + " boot (QEMU start to first marker)", vm.boot_seconds(), "s");
    if (vm.run_seconds() >= 0) metric(vm.name() + " wall time (QEMU start to exit)", vm.run_seconds(), "s");
}

std::string VmTest::host_ping_path() const {
#ifdef MEMDOMAIN_HOST_PING
    return MEMDOMAIN_HOST_PING;
#else
    return "";
#endif
}

long long number_after(const std::string& text, const std::string& key) {
    auto at = text.find(key);
    if (at == std::string::npos) return -1;
    at += key.size();
    if (at >= text.size() || text[at] < '0' || text[at] > '9') return -1;
    return std::stoll(text.substr(at));
}

}  // namespace memdomain::test
