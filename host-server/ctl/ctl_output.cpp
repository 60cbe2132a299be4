#include "ctl/ctl_output.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <vector>

#include "memdomain/common/sizes.h"

namespace memdomain::ctl {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::string>>;

std::string size_of(const json& v) { return format_size(v.get<std::uint64_t>()); }
std::string num(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
std::string str(const json& v) { return v.get<std::string>(); }

std::string hex64(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
    return b;
}

std::string duration(std::uint64_t ms) {
    if (ms % 3600000 == 0 && ms != 0) return std::to_string(ms / 3600000) + "h";
    if (ms % 60000 == 0 && ms != 0) return std::to_string(ms / 60000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string render_list(const json& r) {
    const auto& domains = r.at("domains");
    if (domains.empty()) return "no domains\n";
    Rows rows = {{"NAME", "TYPE", "POLICY", "ORIGIN", "SEGMENTS", "SIZE", "INSTANCES", "RESIDENT", "PEERS"}};
    for (const auto& d : domains)
        rows.push_back({str(d.at("name")), str(d.at("type")), str(d.at("policy")), str(d.at("origin")),
                        num(d.at("segments")), size_of(d.at("size")), num(d.at("instances")),
                        size_of(d.at("resident")), num(d.at("peers"))});
    return table(rows);
}

// "domain X: shared, static, ..." and the settings that differ by type and policy.
std::string show_heading(const json& r) {
    std::string out = "domain " + str(r.at("name")) + ": " + str(r.at("type")) + ", " + str(r.at("policy"));
    if (str(r.at("policy")) == "dynamic") out += " (grace " + duration(r.at("grace_ms").get<std::uint64_t>()) + ")";
    out += ", " + num(r.at("vectors")) + " vector(s), at most " + num(r.at("max_peers")) + " peers, origin " +
           str(r.at("origin")) + "\n";
    if (str(r.at("type")) == "numa") {
        std::string nodes;
        for (const auto& n : r.at("nodes")) nodes += (nodes.empty() ? "" : ",") + num(n);
        out += "cpualias: " + str(r.at("cpualias")) + " (nodes " + nodes + ")\n";
    }
    if (!r.at("vaddr").is_null()) out += "vaddr: " + hex64(r.at("vaddr").get<std::uint64_t>()) + "\n";
    if (r.at("contiguous").get<bool>()) out += "contiguous: yes\n";
    return out;
}

std::string render_acl(const json& acl) {
    std::string out = "access: " + str(acl.at("summary")) + "\n";
    Rows rows;
    for (const auto& e : acl.at("entries")) rows.push_back({str(e.at("kind")), str(e.at("principal")), str(e.at("access"))});
    // Servers before leases existed send none.
    if (acl.contains("leases"))
        for (const auto& l : acl.at("leases"))
            rows.push_back({"vm", str(l.at("vm")), str(l.at("access")), "(lease: this run of the VM)"});
    return out + table(rows, "  ");
}

std::string render_instance(const json& inst) {
    std::string line = "instance " + str(inst.at("key")) + ": generation " +
                       hex64(inst.at("generation").get<std::uint64_t>()) + ", resident " +
                       size_of(inst.at("resident")) + "/" + size_of(inst.at("size")) + ", " + num(inst.at("peers")) +
                       " peer(s)";
    if (inst.at("grace_pending").get<bool>()) line += ", freed after the grace period unless a peer comes";
    std::string out = line + "\n";
    Rows rows = {{"SEGMENT", "ID", "PID", "UID", "GID", "ACCESS", "QUEUED", "DOORBELLS"}};
    for (const auto& seg : inst.at("segments"))
        for (const auto& p : seg.at("peers")) {
            std::string rings;
            for (const auto& n : p.at("doorbells")) rings += (rings.empty() ? "" : ",") + num(n);
            rows.push_back({num(seg.at("index")), num(p.at("id")), num(p.at("pid")), num(p.at("uid")),
                            num(p.at("gid")), str(p.at("access")), num(p.at("queued")), rings.empty() ? "-" : rings});
        }
    if (rows.size() > 1) out += table(rows, "  ");
    return out;
}

std::string render_show(const json& r) {
    std::string out = show_heading(r) + render_acl(r.at("acl"));
    for (const auto& s : r.at("segments")) {
        out += "segment " + num(s.at("index")) + ": " + size_of(s.at("size")) + " of " + size_of(s.at("page_size")) +
               " pages, " + str(s.at("access")) + "\n";
        out += "  socket:    " + str(s.at("socket")) + "\n";
        const std::string ns = str(s.at("namespace"));
        out += "  namespace: " + (ns.empty() ? std::string("(none: one memory per instance)") : ns) + "\n";
    }
    const auto& instances = r.at("instances");
    if (instances.empty())
        out += "no instances" +
               std::string(str(r.at("policy")) == "dynamic" ? " (dynamic: one is made when a peer attaches)" : "") +
               "\n";
    for (const auto& inst : instances) out += render_instance(inst);
    return out;
}

std::string render_stats(const json& r) {
    char up[32];
    std::snprintf(up, sizeof up, "%.1f s", r.at("uptime_seconds").get<double>());
    std::string fds = num(r.at("fds_open"));
    if (r.contains("fd_limit")) fds += " of " + num(r.at("fd_limit"));
    Rows rows = {
        {"pid", num(r.at("pid"))},
        {"uptime", up},
        {"domains", num(r.at("domains"))},
        {"peers", num(r.at("peers"))},
        {"fds open", fds},
        {"control clients", num(r.at("control_clients"))},
    };
    for (const auto& p : r.at("hugepages"))
        rows.push_back({"hugepages " + size_of(p.at("page_size")),
                        num(p.at("total")) + " total, " + num(p.at("free")) + " free, " + num(p.at("reserved")) +
                            " reserved"});
    return table(rows);
}

std::string joined(const json& args) {
    std::string s;
    for (const auto& a : args) s += (s.empty() ? "" : " ") + str(a);
    return s;
}

std::string render_qemu_args(const json& r) {
    std::string out;
    const auto& db = r.at("doorbell");
    if (db.is_null())
        out += "# read-write with doorbells: not offered, a segment is R/O\n";
    else
        out += "# read-write with doorbells (ivshmem-doorbell):\n" + joined(db) + "\n";
    const auto& ro = r.at("readonly");
    if (ro.is_null())
        out += "# read-only: not offered, this domain has no single memory (one per process or node)\n";
    else
        out += "# read-only (ivshmem-plain on the namespace entry):\n" + joined(ro) + "\n";
    return out;
}

std::string principal_of(const json& req) { return str(req.at("kind")) + " " + str(req.at("principal")); }

std::string disconnected(const json& r) {
    const auto n = r.at("disconnected").get<std::uint64_t>();
    return n == 0 ? "no peer disconnected" : std::to_string(n) + " peer(s) disconnected";
}

}  // namespace

std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
    std::vector<std::size_t> width;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (width.size() <= i) width.push_back(0);
            width[i] = std::max(width[i], row[i].size());
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line = indent;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string render(const json& request, const json& result) {
    const std::string verb = str(request.at("verb"));
    if (verb == "list") return render_list(result);
    if (verb == "show") return render_show(result);
    if (verb == "stats") return render_stats(result);
    if (verb == "qemu-args") return render_qemu_args(result);
    if (verb == "libvirt-xml") return str(result.at("xml")) + "\n";
    if (verb == "create") return "created domain " + str(result.at("name")) + "\n" + render_show(result);
    const std::string name = request.contains("name") ? str(request.at("name")) : "";
    if (verb == "destroy") return "destroyed domain " + name + " (" + disconnected(result) + ")\n";
    if (verb == "grant")
        return "granted " + principal_of(request) + " " + str(request.at("access")) + " on " + name + " (" +
               disconnected(result) + ")\n" + render_acl(result.at("acl"));
    if (verb == "revoke")
        return "revoked " + principal_of(request) + " on " + name + " (" + disconnected(result) + ")\n" +
               render_acl(result.at("acl"));
    if (verb == "release") {
        std::string domains;
        for (const auto& d : result.at("released")) domains += (domains.empty() ? "" : ", ") + str(d);
        return "released vm " + str(request.at("vm")) + (domains.empty() ? ": it held no lease" : " on " + domains) +
               " (" + disconnected(result) + ")\n";
    }
    return result.dump(2) + "\n";
}

std::string progress_bar(std::uint64_t done, std::uint64_t total, std::size_t width) {
    const std::uint64_t shown = std::min(done, total);
    const unsigned percent = total == 0 ? 100u : static_cast<unsigned>(shown * 100 / total);
    const std::size_t filled = total == 0 ? width : static_cast<std::size_t>(shown * width / total);
    return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] " + format_size(shown) + "/" +
           format_size(total) + " " + std::to_string(percent) + "%";
}

}  // namespace memdomain::ctl
