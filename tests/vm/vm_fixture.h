// The fixture every VM test uses: a real memdomaind serving one 4K-page
// domain (1 MiB, 2 vectors: no hugepage pool needed), the guest image, a
// work directory for serial logs, and helpers to boot guests on the domain,
// attach the test process itself as a host peer, and print measurements.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "memdomain/domain.h"
#include "server_fixture.h"
#include "test_board.h"
#include "vm_launcher.h"

namespace memdomain::test {

inline constexpr const char* kVmDomain = "VmTest";

class VmTest : public ::testing::Test {
protected:
    void SetUp() override;

    // Skips the test (with the reason) when the image lacks a guest tool.
    bool image_has(const std::string& tool);
    // Boots a guest on the domain running `scenario` with md.domain=VmTest
    // plus `args` ("key=value").
    std::unique_ptr<Vm> boot(const std::string& name, const std::string& scenario,
                             std::vector<std::string> args = {});
    // The test process as a host peer, through the socket transport.
    Result<Domain> attach_host();
    static TestBoard* board(Domain& d);
    // "MDTEST-RESULT: PASS" and a clean poweroff, else a message with the logs.
    ::testing::AssertionResult passed(Vm& vm);
    // Prints "[ VM-METRIC ] <test>: <what> = <value> <unit>" and records it
    // as a test property (visible in the XML output).
    void metric(const std::string& what, double value, const std::string& unit);
    // The boot time (QEMU start -> first marker) and run time of `vm`.
    void report_times(Vm& vm);

    std::string host_ping_path() const;

    std::unique_ptr<Server> server_;
    GuestImage image_;
    TempDir work_;
};

// Waits up to `timeout` for pred(); polls every 10 ms.
template <class Pred>
bool eventually(std::chrono::milliseconds timeout, Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

// The number after `key` in `text` (e.g. "self " in "pong: domain X, self 3,"),
// or -1.
long long number_after(const std::string& text, const std::string& key);

}  // namespace memdomain::test
