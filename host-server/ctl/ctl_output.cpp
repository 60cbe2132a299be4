#include "ctl/ctl_output.h"

#include <cinttypes>
#include <cstdio>
#include <vector>

#include "memdomain/common/sizes.h"

namespace memdomain::ctl {
namespace {

using nlohmann::json;

std::string size_of(const json& v) { return format_size(v.get<std::uint64_t>()); }
std::string num(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string hex64(std::uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
    return b;
}

std::string render_list(const json& r) {
    const auto& domains = r.at("domains");
    if (domains.empty()) return "no domains\n";
    std::vector<std::vector<std::string>> rows = {{"NAME", "TYPE", "POLICY", "SEGMENTS", "SIZE", "PEERS"}};
    for (const auto& d : domains)
        rows.push_back({d.at("name").get<std::string>(), d.at("type").get<std::string>(),
                        d.at("policy").get<std::string>(), num(d.at("segments")), size_of(d.at("size")),
                        num(d.at("peers"))});
    return table(rows);
}

std::string render_show(const json& r) {
    std::string out = "domain " + r.at("name").get<std::string>() + ": " + r.at("type").get<std::string>() + ", " +
                      r.at("policy").get<std::string>() + ", " + num(r.at("vectors")) + " vector(s), at most " +
                      num(r.at("max_peers")) + " peers\n";
    const auto& acl = r.at("acl");
    out += "access: " + acl.at("summary").get<std::string>() + "\n";
    std::vector<std::vector<std::string>> acl_rows;
    for (const auto& e : acl.at("entries"))
        acl_rows.push_back({e.at("kind").get<std::string>(), e.at("principal").get<std::string>(),
                            e.at("access").get<std::string>()});
    out += table(acl_rows, "  ");
    for (const auto& s : r.at("segments")) {
        out += "segment " + num(s.at("index")) + ": " + size_of(s.at("size")) + " of " + size_of(s.at("page_size")) +
               " pages, " + s.at("access").get<std::string>() + ", generation " +
               hex64(s.at("generation").get<std::uint64_t>()) + "\n";
        out += "  socket:    " + s.at("socket").get<std::string>() + "\n";
        out += "  namespace: " + s.at("namespace").get<std::string>() + "\n";
        const auto& peers = s.at("peers");
        if (peers.empty()) {
            out += "  no peers attached\n";
            continue;
        }
        std::vector<std::vector<std::string>> rows = {{"ID", "PID", "UID", "GID", "ACCESS", "QUEUED"}};
        for (const auto& p : peers)
            rows.push_back({num(p.at("id")), num(p.at("pid")), num(p.at("uid")), num(p.at("gid")),
                            p.at("access").get<std::string>(), num(p.at("queued"))});
        out += table(rows, "  ");
    }
    return out;
}

std::string render_stats(const json& r) {
    char up[32];
    std::snprintf(up, sizeof up, "%.1f s", r.at("uptime_seconds").get<double>());
    std::vector<std::vector<std::string>> rows = {
        {"pid", num(r.at("pid"))},
        {"uptime", up},
        {"domains", num(r.at("domains"))},
        {"peers", num(r.at("peers"))},
        {"fds open", num(r.at("fds_open"))},
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
    for (const auto& a : args) s += (s.empty() ? "" : " ") + a.get<std::string>();
    return s;
}

std::string render_qemu_args(const json& r) {
    std::string out;
    const auto& db = r.at("doorbell");
    if (db.is_null())
        out += "# read-write with doorbells: not offered, segment 0 is R/O\n";
    else
        out += "# read-write with doorbells (ivshmem-doorbell):\n" + joined(db) + "\n";
    out += "# read-only (ivshmem-plain on the namespace entry):\n" + joined(r.at("readonly")) + "\n";
    return out;
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

std::string render(const std::string& verb, const json& result) {
    if (verb == "list") return render_list(result);
    if (verb == "show") return render_show(result);
    if (verb == "stats") return render_stats(result);
    if (verb == "qemu-args") return render_qemu_args(result);
    if (verb == "libvirt-xml") return result.at("xml").get<std::string>() + "\n";
    return result.dump(2) + "\n";
}

}  // namespace memdomain::ctl
