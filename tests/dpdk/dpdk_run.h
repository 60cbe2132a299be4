// Running DPDK programs in the dpdk tests: EAL arguments that fit this
// machine (no PCI, no telemetry, a private or no shared config), our PMD
// loaded with -d from the build tree, dpdk-testpmd and dpdk_peer started by
// PID (test::Process) and their line-oriented output parsed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "process.h"
#include "server_fixture.h"

namespace memdomain::test::dpdk {

inline constexpr const char* kTestpmd = "/usr/bin/dpdk-testpmd";

// EAL arguments for one process: `lcores` as for --lcores ("0@0,1@1"),
// hugepages (--in-memory) or not (--no-huge -m 256 --no-shconf), plus
// -d <our PMD> and each vdev.
std::vector<std::string> eal_args(const std::string& lcores, bool hugepages, const std::string& file_prefix,
                                  const std::vector<std::string>& vdevs);

// "net_memdomain0,domain=D,socket-dir=DIR" + extra ",k=v" pairs.
std::string vdev(const std::string& domain, const Server& server, const std::string& extra = "");

// A memdomaind config for the dpdk tests: one shared domain of `size`
// (room for two 32 MiB arenas and the directory) on `page` pages.
std::string dpdk_domain_config(const std::string& name, const std::string& size = "128MB",
                               const std::string& page = "4K");

// A started program with its log.
class DpdkProcess {
public:
    DpdkProcess(const std::string& what, std::vector<std::string> argv, const TempDir& logs);
    Process& process() { return proc_; }
    std::string log() const { return proc_.log(); }
    // Whether the log has a line containing `text` (waiting up to `timeout`).
    bool wait_for(const std::string& text, std::chrono::milliseconds timeout);
    // SIGINT (testpmd and dpdk_peer stop cleanly and print their counts),
    // then wait; kills on timeout. The exit status, or nullopt.
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));

private:
    Process proc_;
};

// dpdk-testpmd in `mode` (txonly/rxonly) on one net_memdomain port, with
// its forwarding lcore on CPU `fwd_cpu` and the main one on the other.
std::vector<std::string> testpmd_argv(const std::string& mode, int fwd_cpu, const std::string& prefix,
                                      const std::string& vdev, unsigned frame, bool hugepages = false,
                                      unsigned queues = 1);

// From testpmd's closing "Forward statistics for port 0" block.
struct PortCounts {
    std::uint64_t rx = 0, tx = 0, tx_dropped = 0;
};
std::optional<PortCounts> testpmd_counts(const std::string& log);

// The number after the last `label` in a log ("Rx-pps:").
std::optional<std::uint64_t> last_number(const std::string& log, const std::string& label);

// The value of `key=` on the last line starting with `prefix` ("RESULT").
std::optional<std::string> field(const std::string& log, const std::string& prefix, const std::string& key);

std::string peer_path();
std::string pmd_path();

}  // namespace memdomain::test::dpdk
