// libFuzzer target: parse_config on arbitrary text. It must never crash, leak
// or hang; an error must be one "fuzz.conf:LINE:COL: ..." line pointing
// inside the text; and a Config it returns must obey every rule of the
// language (so a rule the parser forgets to check shows up as an abort here).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "config/config_parser.h"
#include "memdomain/common/names.h"

using namespace memdomain;
using namespace memdomain::config;

namespace {

[[noreturn]] void broken(const char* rule, const std::string& detail) {
    std::fprintf(stderr, "invariant broken: %s: %s\n", rule, detail.c_str());
    std::abort();
}

void check_error(std::string_view text, const std::string& msg) {
    if (msg.rfind("fuzz.conf:", 0) != 0) broken("error starts with the file name", msg);
    if (msg.find('\n') != std::string::npos) broken("error is one line", msg);
    unsigned long line = 0, col = 0;
    if (std::sscanf(msg.c_str() + 10, "%lu:%lu: ", &line, &col) != 2 || line == 0 || col == 0)
        broken("error has LINE:COL", msg);
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    if (line > lines) broken("error line is inside the text", msg);
}

bool cpu_list_ok(const std::string& s) {
    if (s == "all") return true;
    if (s.empty() || s.front() == ',' || s.back() == ',' || s.back() == '-') return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || c == ',' || c == '-')) return false;
    return true;
}

// Owner, group and principals: a decimal id below 2^32 - 1, or a name
// [a-z_][a-z0-9_-]* with an optional final '$', at most 32 characters.
bool principal_ok(const std::string& p) {
    if (p.empty()) return false;
    if (p[0] >= '0' && p[0] <= '9')
        return p.size() <= 10 && p.find_first_not_of("0123456789") == std::string::npos &&
               std::stoull(p) < 0xffffffffull;
    if (p.size() > 32 || !((p[0] >= 'a' && p[0] <= 'z') || p[0] == '_')) return false;
    const std::size_t end = p.back() == '$' ? p.size() - 1 : p.size();
    return p.substr(0, end).find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
}

void check_socket(const DomainConfig& d) {
    const SocketConfig& s = d.socket;
    if ((s.owner || s.group || s.mode) && (s.where.line == 0 || s.where.column == 0))
        broken("a socket setting has the location of its block", d.name);
    if (s.owner && !principal_ok(*s.owner)) broken("socket owner valid", *s.owner);
    if (s.group && !principal_ok(*s.group)) broken("socket group valid", *s.group);
    if (s.mode && *s.mode > 0777) broken("socket mode has permission bits only", std::to_string(*s.mode));
}

// grace at most 24 h; vaddr non-zero, aligned to the domain's largest page
// and the whole domain (each segment after the previous one, rounded up to
// its page size) below the top of a 47-bit user address space.
void check_placement(const DomainConfig& d) {
    if (d.grace_ms > 24ull * 3600 * 1000) broken("grace at most 24h", std::to_string(d.grace_ms));
    if (!d.vaddr) return;
    const std::uint64_t v = *d.vaddr;
    std::uint64_t largest = 4096, end = v;
    for (const SegmentConfig& s : d.segments) {
        const std::uint64_t ps = page_size_of(s.page_class);
        largest = std::max(largest, ps);
        end = (end + ps - 1) / ps * ps + s.size;
    }
    if (v == 0 || v % largest != 0) broken("vaddr non-zero and aligned to the largest page", std::to_string(v));
    if (end > 0x7ffffffff000ull) broken("domain ends below the top of user space", std::to_string(end));
}

void check_config(const Config& c) {
    if (c.version != 1) broken("version is 1", std::to_string(c.version));
    if (c.server.max_pending_connections < 1 || c.server.max_pending_connections > 4096)
        broken("max_pending_connections in range", std::to_string(c.server.max_pending_connections));
    if (c.server.max_queued_messages < 64 || c.server.max_queued_messages > 1048576)
        broken("max_queued_messages in range", std::to_string(c.server.max_queued_messages));
    std::set<std::string> names;
    for (const DomainConfig& d : c.domains) {
        if (!validate_domain_name(d.name)) broken("domain name valid", d.name);
        if (!names.insert(d.name).second) broken("domain names unique", d.name);
        if (d.vectors < 1 || d.vectors > kMaxVectors) broken("vectors in range", d.name);
        if (d.max_peers < 1 || d.max_peers > kMaxPeers) broken("max_peers in range", d.name);
        if (!cpu_list_ok(d.cpualias)) broken("cpualias valid", d.cpualias);
        if (d.segments.empty() || d.segments.size() > 16) broken("1..16 segments", d.name);
        for (const SegmentConfig& s : d.segments) {
            if (!is_power_of_two(s.size)) broken("segment size is a power of two", std::to_string(s.size));
            if (s.size % page_size_of(s.page_class) != 0) broken("segment size is whole pages", d.name);
            SegmentHeaderSpec spec;
            spec.domain_name = d.name;
            spec.segment_size = s.size;
            spec.vectors = d.vectors;
            spec.max_peers = d.max_peers;
            spec.page_size = page_size_of(s.page_class);
            if (!segment_geometry(spec)) broken("segment holds header, mailbox and data", d.name);
            if (s.access != SegmentAccess::ReadOnly && s.access != SegmentAccess::ReadWrite)
                broken("segment access valid", d.name);
            if (s.where.line == 0 || s.where.column == 0) broken("segment has a location", d.name);
        }
        if (d.access) {
            std::set<std::pair<int, std::string>> seen;
            for (const AclEntry& e : *d.access) {
                if (!principal_ok(e.principal)) broken("principal valid", e.principal);
                if (!seen.insert({static_cast<int>(e.kind), e.principal}).second)
                    broken("principals unique", e.principal);
            }
        }
        check_socket(d);
        check_placement(d);
    }
    if (c.server.admin_group && !principal_ok(*c.server.admin_group)) broken("admin_group valid", *c.server.admin_group);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = parse_config(text, "fuzz.conf");
    if (r)
        check_config(*r);
    else
        check_error(text, r.error().message);
    // The control plane's create: the same grammar, one block only.
    auto d = parse_domain_text(text, "fuzz.conf");
    if (d) {
        Config one;
        one.domains.push_back(*d);
        check_config(one);
        if (!r || r->domains.size() != 1 || r->domains.front().name != d->name)
            broken("a lone domain block parses as a config with that one domain", d->name);
    } else {
        check_error(text, d.error().message);
    }
    return 0;
}
