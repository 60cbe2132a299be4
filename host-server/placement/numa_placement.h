// Which NUMA nodes a domain lives on, and which of them a peer's memory
// should come from. Pure logic over a NumaTopology, plus the one system call
// that tells where a process may run (sched_getaffinity).
//
// A domain's "cpualias" names the CPUs its users run on; the domain's nodes
// are the nodes holding at least one of those CPUs. When a peer attaches,
// its allowed CPUs (process_cpus of its pid, from SO_PEERCRED) pick the
// domain node holding most of them, so its memory is local to where it runs.
//
// Error choices:
//   - domain_nodes: EINVAL when cpualias names no CPU of any node: the
//     config is wrong for this host.
//   - node_for_cpus: EACCES when none of the peer's CPUs is on a domain node:
//     the peer runs outside the CPUs the domain was made for, which is a
//     refusal of that peer (the same errno the library reports for any
//     refused attach), not a malformed argument. EINVAL for caller mistakes:
//     an empty domain node list, a node not in the topology, no peer CPUs.
#pragma once

#include <sys/types.h>

#include <vector>

#include "memdomain/common/result.h"
#include "placement/cpu_set.h"
#include "placement/numa_topology.h"

namespace memdomain::placement {

// The nodes (ascending) with at least one CPU of cpualias; "all" gives every
// node that has CPUs. Memory-only nodes are never part of a domain. CPUs of
// cpualias that exist on no node are ignored as long as some CPU matched
// (see cpus_on_no_node to warn about them); when none matched, EINVAL naming
// those CPUs and the topology's.
Result<std::vector<int>> domain_nodes(const NumaTopology& topo, const CpuSet& cpualias);

// The CPUs of `cpus` that no node of the topology holds ("all" gives none).
CpuSet cpus_on_no_node(const NumaTopology& topo, const CpuSet& cpus);

// The node of domain_nodes holding most of peer_cpus; on a tie the lowest
// node id. EACCES naming the peer's CPUs and the domain's nodes (with their
// CPUs) when none of peer_cpus is on a domain node; EINVAL as listed above.
Result<int> node_for_cpus(const NumaTopology& topo, const std::vector<int>& domain_nodes,
                          const CpuSet& peer_cpus);

// The CPUs `pid` may run on (sched_getaffinity; pid 0 = the caller).
// Errors: ESRCH naming the pid when it is gone, EPERM, EINVAL.
Result<CpuSet> process_cpus(pid_t pid);

}  // namespace memdomain::placement
