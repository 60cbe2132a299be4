// libFuzzer target: parse_config on arbitrary text. It must never crash, leak
// or hang; an error must be one "fuzz.conf:LINE:COL: ..." line pointing
// inside the text; and a Config it returns must obey every rule of the
// language (so a rule the parser forgets to check shows up as an abort here).
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

void check_config(const Config& c) {
    if (c.version != 1) broken("version is 1", std::to_string(c.version));
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
                if (e.principal.empty()) broken("principal not empty", d.name);
                if (!seen.insert({static_cast<int>(e.kind), e.principal}).second)
                    broken("principals unique", e.principal);
            }
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto r = parse_config(text, "fuzz.conf");
    if (r)
        check_config(*r);
    else
        check_error(text, r.error().message);
    return 0;
}
