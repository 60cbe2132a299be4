// A QEMU for tests: qemu-system-x86_64 started paused (-S) under TCG, with no
// default devices and no display, its output in a log file, and always ended
// by its own PID (SIGKILL + waitpid) when the object goes away, pass or fail.
// A paused QEMU still realizes its devices, so an ivshmem-doorbell device
// connects to its server and maps the shared memory without any guest code;
// qtest (qtest_client.h) then plays the guest.
//
// Never KVM: the test machine is itself a VM whose /dev/kvm (kvm_pvm) cannot
// run a guest, so TCG; and a paused machine gains nothing from KVM anyway.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "process.h"

namespace memdomain::test {

// $MEMDOMAIN_QEMU if set, else qemu-system-x86_64 from /usr/bin, /usr/local/bin
// or $PATH; empty when none is installed.
std::string qemu_binary();

struct QemuOptions {
    std::string machine = "pc";  // -M
    std::string memory = "32M";  // -m; a paused machine needs little
    std::string log_path;        // QEMU's stdout+stderr; required
    // When set: "-qtest unix:PATH". QEMU connects to PATH as a client, so the
    // test must already listen there (QtestClient::listen).
    std::string qtest_socket;
    // Where qtest echoes every command; keeps QEMU's own log readable.
    std::string qtest_log = "/dev/null";
    std::vector<std::string> args;  // devices, chardevs, -readconfig ...
};

class QemuProcess {
public:
    QemuProcess() = default;
    // Starts QEMU at once (fork/exec); failures show up as an early exit with
    // the reason in log().
    explicit QemuProcess(const QemuOptions& options);

    pid_t pid() const { return proc_.pid(); }
    bool running() { return proc_.running(); }
    // The waitpid status, or nullopt if still running after `timeout`.
    std::optional<int> wait(std::chrono::milliseconds timeout) { return proc_.wait(timeout); }
    void kill() { proc_.kill(); }
    std::string log() const { return proc_.log(); }
    const std::vector<std::string>& argv() const { return argv_; }
    // argv joined by spaces, for failure messages.
    std::string command_line() const;

private:
    std::vector<std::string> argv_;
    Process proc_;
};

}  // namespace memdomain::test

// Skips the current test, with the reason, when QEMU is not installed; the
// only condition under which QEMU tests may skip.
#define MD_SKIP_WITHOUT_QEMU()                                                              \
    do {                                                                                    \
        if (::memdomain::test::qemu_binary().empty())                                       \
            GTEST_SKIP() << "qemu-system-x86_64 is not installed (apt-get install "         \
                            "qemu-system-x86, or point MEMDOMAIN_QEMU at a binary)";        \
    } while (0)
