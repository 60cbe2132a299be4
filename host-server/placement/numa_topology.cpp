#include "placement/numa_topology.h"

#include <numa.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace memdomain::placement {

namespace fs = std::filesystem;

namespace {

Result<CpuSet> read_cpulist(const fs::path& path) {
    std::ifstream in(path);
    if (!in) return make_error("cannot read " + path.string() + ": no such file or not readable", ENOENT);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto set = CpuSet::parse_cpulist(text);
    if (!set) return make_error(path.string() + ": " + set.error().message, EINVAL);
    if (set->is_all()) return make_error(path.string() + ": \"all\" is not a sysfs cpulist", EINVAL);
    return set;
}

// "node12" -> 12; anything else (has_cpu, online, power, ...) -> -1.
int node_number(const std::string& name) {
    if (name.size() <= 4 || name.compare(0, 4, "node") != 0) return -1;
    int id = -1;
    const char* end = name.data() + name.size();
    auto [p, ec] = std::from_chars(name.data() + 4, end, id);
    return (ec == std::errc() && p == end && id >= 0) ? id : -1;
}

Result<NumaTopology> single_node(const std::string& root) {
    MD_ASSIGN_OR_RETURN(CpuSet online, read_cpulist(fs::path(root) / "devices/system/cpu/online"));
    NumaTopology t;
    t.nodes.emplace(0, std::move(online));
    return t;
}

}  // namespace

Result<NumaTopology> NumaTopology::from_sysfs(const std::string& root) {
    const fs::path dir = fs::path(root) / "devices/system/node";
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return single_node(root);
    NumaTopology t;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const int id = node_number(it->path().filename().string());
        if (id < 0) continue;
        MD_ASSIGN_OR_RETURN(CpuSet cpus, read_cpulist(it->path() / "cpulist"));
        t.nodes.emplace(id, std::move(cpus));
    }
    if (ec) return make_error("cannot list " + dir.string() + ": " + ec.message(), ec.value());
    if (t.nodes.empty()) return single_node(root);
    return t;
}

Result<NumaTopology> NumaTopology::from_libnuma() {
    if (numa_available() < 0) return single_node("/sys");
    NumaTopology t;
    struct bitmask* mask = numa_allocate_cpumask();
    const int max_node = numa_max_node();
    const unsigned long bits = mask->size;
    for (int node = 0; node <= max_node; ++node) {
        // numa_nodes_ptr holds the nodes the kernel has; ids in between are holes.
        if (!numa_bitmask_isbitset(numa_nodes_ptr, static_cast<unsigned>(node))) continue;
        if (numa_node_to_cpus(node, mask) < 0) {
            const int err = errno;
            numa_free_cpumask(mask);
            return sys_error("numa_node_to_cpus(node " + std::to_string(node) + ")", err ? err : EINVAL);
        }
        CpuSet cpus;
        for (unsigned long c = 0; c < bits && c < static_cast<unsigned long>(CpuSet::kMaxCpus); ++c) {
            if (numa_bitmask_isbitset(mask, static_cast<unsigned>(c))) cpus.add(static_cast<int>(c));
        }
        t.nodes.emplace(node, std::move(cpus));
    }
    numa_free_cpumask(mask);
    if (t.nodes.empty()) return single_node("/sys");
    return t;
}

std::vector<int> NumaTopology::node_ids() const {
    std::vector<int> ids;
    for (const auto& [id, cpus] : nodes) ids.push_back(id);
    return ids;
}

CpuSet NumaTopology::all_cpus() const {
    CpuSet all;
    for (const auto& [id, cpus] : nodes) all = all.unite(cpus);
    return all;
}

int NumaTopology::node_of_cpu(int cpu) const {
    for (const auto& [id, cpus] : nodes) {
        if (cpus.contains(cpu)) return id;
    }
    return -1;
}

std::string NumaTopology::to_string() const {
    std::ostringstream out;
    for (const auto& [id, cpus] : nodes) {
        if (out.tellp() > 0) out << ' ';
        out << "node" << id << '=' << cpus.to_string();
    }
    return out.str();
}

}  // namespace memdomain::placement
