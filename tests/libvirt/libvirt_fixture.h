// What every libvirt test shares. One test process = one sandbox and one
// libvirtd (LibvirtEnvironment, started before the first test and stopped
// by PID after the last), with memdomain's hook installed through
// libvirt-hooks/install.sh. Each test gets its own memdomaind (a
// test::Server) serving at /run/memdomain (the namespace's private /run),
// the hook's default place, so guests' XML and the hook need no hook.conf; the test
// process is a host peer through libmemdomain; memdomainctl is the real one.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eventually.h"
#include "libvirt_guest.h"
#include "libvirt_sandbox.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

namespace memdomain::test {

inline constexpr const char* kRunDir = "/run/memdomain";
// A user's own qemu hook, present before memdomain's is installed: it notes
// every call in kUserHookLog.
inline constexpr const char* kUserHook = "/etc/libvirt/hooks/qemu";
inline constexpr const char* kUserHookLog = "/run/user-hook.log";
inline constexpr const char* kUserHookText = "#!/bin/sh\necho \"$1 $2 $3\" >> /run/user-hook.log\ncat >/dev/null\n";

class LibvirtEnvironment : public ::testing::Environment {
public:
    void SetUp() override;
    void TearDown() override;
    static Libvirtd& libvirtd();
    // Why the environment could not start ("" when it did).
    static const std::string& error();
};

class LibvirtTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    Libvirtd& virt() { return LibvirtEnvironment::libvirtd(); }
    // Starts memdomaind on `config` and points /run/memdomain at it.
    void start_server(const std::string& config);
    // A guest (not started yet); the test owns it.
    std::unique_ptr<LibvirtGuest> guest(GuestSpec spec);
    // The test process as a peer of `domain` (socket transport).
    Result<Domain> attach_host(const std::string& domain);
    // memdomainctl --socket-dir /run/memdomain ARGS...
    CommandResult ctl(const std::vector<std::string>& args);
    // memdomainctl --json show NAME, parsed (null on failure).
    nlohmann::json show(const std::string& domain);
    // The leases of `domain` as {vm: access}.
    std::map<std::string, std::string> leases(const std::string& domain);
    // The pids of the peers attached to `domain` (every instance and segment).
    std::vector<long long> peer_pids(const std::string& domain);
    // <shmem> element for a domain's segment 0 (ivshmem-doorbell, 2 vectors).
    static std::string shmem_xml(const std::string& domain);
    // A test's failure context: the server's log and libvirtd's.
    std::string logs() const;

    std::unique_ptr<Server> server_;
    GuestImage image_;
    std::unique_ptr<TempDir> work_;
};

// Registers LibvirtEnvironment and enters the sandbox; the tests' main().
int run_libvirt_tests(int argc, char** argv);

}  // namespace memdomain::test
