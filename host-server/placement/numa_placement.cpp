#include "placement/numa_placement.h"

#include <sched.h>

#include <cerrno>
#include <string>

namespace memdomain::placement {

namespace {

std::string node_list(const NumaTopology& topo, const std::vector<int>& ids) {
    std::string out;
    for (int id : ids) {
        if (!out.empty()) out += ", ";
        out += "node " + std::to_string(id);
        const auto it = topo.nodes.find(id);
        if (it != topo.nodes.end()) out += " (CPUs " + it->second.to_string() + ")";
    }
    return out;
}

std::string or_none(std::string s) { return s.empty() ? std::string("none") : s; }

}  // namespace

CpuSet cpus_on_no_node(const NumaTopology& topo, const CpuSet& cpus) {
    if (cpus.is_all()) return {};
    return cpus.minus(topo.all_cpus());
}

Result<std::vector<int>> domain_nodes(const NumaTopology& topo, const CpuSet& cpualias) {
    std::vector<int> ids;
    for (const auto& [id, cpus] : topo.nodes) {
        if (cpus.intersects(cpualias)) ids.push_back(id);
    }
    if (!ids.empty()) return ids;
    if (cpualias.is_all()) {
        return make_error("cpualias all: no NUMA node of this host has CPUs (topology: " +
                              or_none(topo.to_string()) + ")",
                          EINVAL);
    }
    return make_error("cpualias " + or_none(cpualias.to_string()) + ": CPUs " +
                          or_none(cpus_on_no_node(topo, cpualias).to_string()) +
                          " exist on no NUMA node of this host (its CPUs: " +
                          or_none(topo.all_cpus().to_string()) + ")",
                      EINVAL);
}

Result<int> node_for_cpus(const NumaTopology& topo, const std::vector<int>& domain_nodes,
                          const CpuSet& peer_cpus) {
    if (domain_nodes.empty()) return make_error("node_for_cpus: the domain has no NUMA node", EINVAL);
    if (peer_cpus.empty()) return make_error("node_for_cpus: the peer may run on no CPU", EINVAL);
    int best = -1;
    std::size_t best_count = 0;
    for (int id : domain_nodes) {
        const auto it = topo.nodes.find(id);
        if (it == topo.nodes.end()) {
            return make_error("node_for_cpus: domain node " + std::to_string(id) + " is not in the topology (" +
                                  or_none(topo.to_string()) + ")",
                              EINVAL);
        }
        const std::size_t n = it->second.intersect(peer_cpus).count();
        if (n > best_count || (n == best_count && n > 0 && id < best)) {
            best = id;
            best_count = n;
        }
    }
    if (best < 0) {
        return make_error("peer runs on CPUs " + peer_cpus.to_string() + ", none of them on the domain's NUMA nodes: " +
                              node_list(topo, domain_nodes),
                          EACCES);
    }
    return best;
}

Result<CpuSet> process_cpus(pid_t pid) {
    cpu_set_t* set = CPU_ALLOC(CpuSet::kMaxCpus);
    if (set == nullptr) return sys_error("CPU_ALLOC", ENOMEM);
    const std::size_t size = CPU_ALLOC_SIZE(CpuSet::kMaxCpus);
    CPU_ZERO_S(size, set);
    if (::sched_getaffinity(pid, size, set) != 0) {
        const int err = errno;
        CPU_FREE(set);
        return sys_error("sched_getaffinity(pid " + std::to_string(pid) + ")", err);
    }
    CpuSet cpus;
    for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
        if (CPU_ISSET_S(c, size, set)) cpus.add(c);
    }
    CPU_FREE(set);
    return cpus;
}

}  // namespace memdomain::placement
