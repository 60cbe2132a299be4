// The host's NUMA nodes and the CPUs of each, read once at start-up.
//
// Two sources give the same answer on a real host: from_sysfs() reads
// <root>/devices/system/node/node<N>/cpulist (a test points `root` at a fake
// sysfs-shaped tree in a temp dir), from_libnuma() asks libnuma. Both list
// every node the kernel has, including memory-only nodes (an empty CpuSet):
// such a node can hold memory but no peer runs on it, so node choice never
// picks it. Node ids need not be contiguous (0, 2, 5 is a valid machine).
//
// A machine without NUMA support (no node directory in sysfs or no node in
// it, or numa_available() < 0) is described as one node 0 holding every
// online CPU (<root>/devices/system/cpu/online).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "placement/cpu_set.h"

namespace memdomain::placement {

struct NumaTopology {
    std::map<int, CpuSet> nodes;  // node id -> its CPUs (possibly empty)

    // Errors: ENOENT (or the open's errno) naming the file when neither the
    // node directory nor cpu/online can be read; EINVAL naming the file for
    // a cpulist that does not parse.
    static Result<NumaTopology> from_sysfs(const std::string& root = "/sys");
    // Errors: the errno of numa_node_to_cpus (ERANGE, or EINVAL when it sets
    // none) naming the node, when libnuma lists a node it cannot give CPUs for.
    static Result<NumaTopology> from_libnuma();

    std::vector<int> node_ids() const;            // ascending, memory-only nodes included
    CpuSet all_cpus() const;                      // union of every node's CPUs
    int node_of_cpu(int cpu) const;               // -1 when no node holds it
    std::string to_string() const;                // "node0=0-3 node1=4-7 node2="
};

}  // namespace memdomain::placement
