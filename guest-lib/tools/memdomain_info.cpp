// memdomain-info: what domains this host or guest can see, or the details
// of one (attaching to it to read them): every segment with its page size,
// size, access, instance kind, and where set its map address (vaddr), NUMA
// node and prefaulted/contiguous flags. Exit 0 ok, 2 not found, 1 other.
// In --json, "segments" stays the count and "segment_list" has the details.
// The listing also shows every ivshmem device that carries no valid domain,
// with the reason ("0000:00:05.0: not a memdomain: bad magic ..."), so a
// device is never silently missing; in --json such entries have "problem".
// A domain attached through ivshmem-plain (the read-only VM attach) shows
// "role: observer", "self: none" and access R/O.
//
//   memdomain-info [--socket-dir DIR] [--sysfs-root DIR] [--transport T] [--json]
//   memdomain-info NAME [...] [--json]
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "memdomain/common/sizes.h"
#include "tool_options.h"

namespace po = boost::program_options;
using namespace memdomain;
using namespace memdomain::tools;

namespace {

constexpr const char* kTool = "memdomain-info";

int list(const OpenOptions& o, bool json) {
    auto l = list_domains_and_problems(o);
    if (!l) return report(kTool, l.error());
    if (json) {
        auto arr = nlohmann::json::array();
        for (const auto& d : *l) {
            nlohmann::json j = {{"name", d.name},
                                {"transport", std::string(to_string(d.transport))},
                                {"segment", d.segment},
                                {"location", d.location}};
            if (!d.problem.empty()) j["problem"] = d.problem;
            arr.push_back(std::move(j));
        }
        std::cout << arr.dump(2) << "\n";
        return kExitOk;
    }
    bool any = false;
    for (const auto& d : *l) {
        if (!d.problem.empty()) continue;
        any = true;
        std::printf("%-24s %-6s segment %-3" PRIu32 " %s\n", d.name.c_str(), std::string(to_string(d.transport)).c_str(),
                    d.segment, d.location.c_str());
    }
    if (!any) std::cout << "no domains found\n";
    for (const auto& d : *l)
        if (!d.problem.empty()) std::printf("%s: %s\n", d.location.c_str(), d.problem.c_str());
    return kExitOk;
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string instance_flags(std::uint32_t flags) {
    std::string out;
    if (flags & kInstancePrefaulted) out += "prefaulted";
    if (flags & kInstanceContiguous) out += std::string(out.empty() ? "" : ",") + "contiguous";
    return out;
}

nlohmann::json segment_json(const SegmentView& s) {
    nlohmann::json j = {{"index", s.index},
                        {"page_size", s.page_size},
                        {"size", s.size},
                        {"data_size", s.data_size},
                        {"access", std::string(to_string(s.access))},
                        {"instance", std::string(to_string(s.instance_kind))},
                        {"prefaulted", (s.instance_flags & kInstancePrefaulted) != 0},
                        {"contiguous", (s.instance_flags & kInstanceContiguous) != 0}};
    if (s.map_address != 0) j["map_address"] = hex(s.map_address);
    if (s.numa_node >= 0) j["numa_node"] = s.numa_node;
    return j;
}

// "segment 1: 2M pages, 4M, R/O, shared, at 0x7f0000200000, node 0, prefaulted"
void print_segment(const SegmentView& s) {
    std::string line = "segment " + std::to_string(s.index) + ": " + format_size(s.page_size) + " pages, " +
                       format_size(s.size) + ", " + std::string(to_string(s.access)) + ", " +
                       std::string(to_string(s.instance_kind));
    if (s.map_address != 0) line += ", at " + hex(s.map_address);
    if (s.numa_node >= 0) line += ", node " + std::to_string(s.numa_node);
    if (const std::string f = instance_flags(s.instance_flags); !f.empty()) line += ", " + f;
    std::printf("  %s\n", line.c_str());
}

int show(const std::string& name, const OpenOptions& o, bool json) {
    auto d = Domain::open(name, o);
    if (!d) return report(kTool, d.error());
    const auto peers = d->peers();
    if (json) {
        auto segments = nlohmann::json::array();
        for (const SegmentView& s : d->segments()) segments.push_back(segment_json(s));
        nlohmann::json j = {{"name", std::string(d->name())},
                            {"transport", std::string(to_string(d->transport()))},
                            {"interrupt_mode", std::string(to_string(d->interrupt_mode()))},
                            {"access", std::string(to_string(d->access()))},
                            {"page_size", d->page_size()},
                            {"data_size", d->data_size()},
                            {"segments", d->segments().size()},
                            {"segment_list", segments},
                            {"generation", d->generation()},
                            {"role", d->has_peer_id() ? "peer" : "observer"},
                            {"self", d->has_peer_id() ? nlohmann::json(d->self()) : nlohmann::json(nullptr)},
                            {"peers", peers},
                            {"vectors", d->vectors()}};
        std::cout << j.dump(2) << "\n";
        return kExitOk;
    }
    std::printf("name:           %s\n", std::string(d->name()).c_str());
    std::printf("transport:      %s\n", std::string(to_string(d->transport())).c_str());
    std::printf("interrupt mode: %s\n", std::string(to_string(d->interrupt_mode())).c_str());
    std::printf("access:         %s\n", std::string(to_string(d->access())).c_str());
    std::printf("page size:      %s\n", format_size(d->page_size()).c_str());
    std::printf("data size:      %s (%zu bytes)\n", format_size(d->data_size()).c_str(), d->data_size());
    std::printf("segments:       %zu\n", d->segments().size());
    for (const SegmentView& s : d->segments()) print_segment(s);
    std::printf("generation:     0x%016" PRIx64 "\n", d->generation());
    std::printf("role:           %s\n", d->has_peer_id() ? "peer" : "observer (read-only, no peer id, no doorbells)");
    if (d->has_peer_id())
        std::printf("self:           %" PRIu32 "\n", d->self());
    else
        std::printf("self:           none\n");
    std::printf("peers:         ");
    if (peers.empty()) std::printf(" none");
    for (PeerId p : peers) std::printf(" %" PRIu32, p);
    std::printf("\n");
    std::printf("vectors:        %" PRIu32 "\n", d->vectors());
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    TransportOptions t;
    std::string name;
    po::options_description desc("usage: memdomain-info [NAME] [options]\noptions");
    desc.add_options()("help,h", "show this help")("json", "print JSON")(
        "name", po::value(&name), "the domain to show (omit to list what is found)");
    add_transport_options(desc, t);
    po::positional_options_description pos;
    pos.add("name", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::fprintf(stderr, "%s: %s\n%s", kTool, e.what(), "try --help\n");
        return kExitError;
    }
    if (vm.count("help")) {
        std::cout << desc << "\nexit codes: 0 ok, 2 not found, 1 other error\n";
        return kExitOk;
    }
    auto o = to_open_options(t);
    if (!o) return report(kTool, o.error());
    const bool json = vm.count("json") != 0;
    return name.empty() ? list(*o, json) : show(name, *o, json);
}
