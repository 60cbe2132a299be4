// One instance of a domain: the memory a set of peers shares. A `shared`
// domain has one instance, a `local` domain one per attached process, a
// `numa` domain one per NUMA node. An instance is its segments (one
// generation, one header each) and, per segment, the DomainServer that runs
// the ivshmem protocol for the peers attached to that segment.
//
// Creating the segments (create_instance_segments) touches no server state,
// so a worker thread may do it while the event loop goes on; serving them
// (DomainInstance::serve) happens on the loop.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "io/event_loop.h"
#include "memory/segment.h"
#include "memdomain/common/result.h"
#include "placement/numa_topology.h"
#include "protocol/domain_server.h"

namespace memdomain::server {

// Which instance of a domain: the one (shared), a process's (local), a
// node's (numa).
struct InstanceKey {
    InstanceKind kind = InstanceKind::Shared;
    int node = -1;  // numa: the node; else -1
    pid_t pid = 0;  // local: the process the instance belongs to; else 0
    auto operator<=>(const InstanceKey&) const = default;
};
std::string to_string(const InstanceKey& key);

struct InstanceMemoryOptions {
    bool bind_numa = true;  // false: record the node, do not mbind (a fake topology)
};

// The segments of a new instance of `domain`: prefaulted for policy =
// static (and for contiguous = yes), placed at vaddr, bound to the key's
// node. `progress`, when given, counts bytes done out of the domain's total.
Result<std::vector<Segment>> create_instance_segments(const config::DomainConfig& domain, const InstanceKey& key,
                                                     const InstanceMemoryOptions& options,
                                                     std::atomic<std::uint64_t>* progress = nullptr);

// The NUMA nodes a `type = numa` domain spans: those with a CPU of its
// cpualias (empty for the other types). Errors start with the domain's
// FILE:LINE:COL and name the CPUs no node has.
Result<std::vector<int>> domain_numa_nodes(const config::DomainConfig& domain,
                                           const placement::NumaTopology* topology);
// The instances `policy = static` creates up front: the shared one, or one
// per node of `nodes` (domain_numa_nodes); none for local and dynamic
// domains, whose instances are made on attach.
std::vector<InstanceKey> static_instance_keys(const config::DomainConfig& domain, const std::vector<int>& nodes);

// The map address of each segment of `domain` (all 0 without vaddr).
std::vector<std::uint64_t> segment_map_addresses(const config::DomainConfig& domain);

class DomainInstance {
public:
    DomainInstance(InstanceKey key, std::vector<Segment> segments);
    ~DomainInstance();
    DomainInstance(const DomainInstance&) = delete;
    DomainInstance& operator=(const DomainInstance&) = delete;

    // Starts a DomainServer per segment. `namespace_paths` (empty, or one
    // per segment) are the read-only entries to publish; `on_change` runs
    // after any peer of any segment joined or left.
    Status serve(EventLoop& loop, const ServerLimits& limits, const std::vector<std::string>& namespace_paths,
                 const std::function<void()>& on_change);

    const InstanceKey& key() const { return key_; }
    std::uint64_t generation() const { return segments_.front()->generation(); }
    std::size_t segment_count() const { return segments_.size(); }
    const Segment& segment(std::size_t i) const { return *segments_[i]; }
    DomainServer& server(std::size_t i) { return *servers_[i]; }
    const DomainServer& server(std::size_t i) const { return *servers_[i]; }
    // Attachments summed over the segments.
    std::size_t peer_count() const;
    std::uint64_t size() const;
    std::uint64_t resident_bytes() const;
    // The fd-store name of segment i: "md.<generation hex>.<i>.<domain>"
    // (domain names never contain ':', which the store forbids).
    std::string store_name(std::size_t i) const;

    // A pending grace timer (dynamic policy), 0 when none.
    EventLoop::Token grace_timer = 0;

private:
    InstanceKey key_;
    std::vector<std::unique_ptr<Segment>> segments_;  // stable addresses: servers point at them
    std::vector<std::unique_ptr<DomainServer>> servers_;
};

}  // namespace memdomain::server
