// The semantic half of the config parser: the state the parse fills and one
// PEGTL action per token that carries meaning. Each action checks what its
// token means (sizes, enums, ranges, duplicates) and reports a bad one as a
// ConfigError at the token's position. Only config_parser.cpp includes this;
// the actions of the size { } and access { } blocks are in
// config_segment_actions.h, those of socket { } and server { } in
// config_block_actions.h, those of grace, contiguous and vaddr in
// config_placement_actions.h.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/config_grammar.h"
#include "config/config_values.h"
#include "memdomain/common/names.h"

namespace memdomain::config::detail {

namespace pg = tao::pegtl;
namespace gr = grammar;

inline constexpr std::size_t kMaxSegments = 16;
inline constexpr const char* kValidKeys =
    "type, policy, cpualias, vectors, max_peers, grace, contiguous, vaddr, size, access, socket";

struct ConfigError {
    SourceLocation where;
    std::string message;
};

// Echoes user text in a message: printable ASCII as is, anything else as
// \xNN, so a message stays one printable line whatever the input held.
inline std::string shown(std::string_view s, std::size_t limit = 64) {
    std::string out;
    for (std::size_t i = 0; i < s.size() && i < limit; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static constexpr char hex[] = "0123456789ABCDEF";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (s.size() > limit) out += "...";
    return out;
}

// Everything the actions know while the parse runs.
struct State {
    std::string source;
    Config config;
    std::optional<std::size_t> version_line;
    std::map<std::string, std::size_t, std::less<>> domain_lines;  // name -> line of its name
    // The memdomain being read, and where its parts were written.
    DomainConfig domain;
    std::map<std::string, SourceLocation, std::less<>> keys;
    SourceLocation size_key_where;
    std::vector<SourceLocation> size_value_where;  // parallel to domain.segments
    std::map<std::pair<AclEntry::Kind, std::string>, std::size_t> principals;  // -> line
    std::map<std::string, SourceLocation, std::less<>> socket_keys;
    SourceLocation vaddr_where;  // of its value, checked again at the domain's '}'
    // The server block, which may stand anywhere at top level.
    std::optional<std::size_t> server_line;
    std::map<std::string, SourceLocation, std::less<>> server_keys;

    SourceLocation at(const pg::position& p) const { return SourceLocation{source, p.line, p.column}; }
    template <class Input>
    SourceLocation at(const Input& in) const {
        return at(in.position());
    }
    [[noreturn]] void fail(SourceLocation where, std::string message) const {
        throw ConfigError{std::move(where), std::move(message)};
    }
    std::string in_domain() const { return " in memdomain '" + domain.name + "'"; }

    // Each key may be given once per block; `in_what` names the block.
    void note_key(std::map<std::string, SourceLocation, std::less<>>& seen, std::string_view key,
                  SourceLocation where, const std::string& in_what) {
        if (auto it = seen.find(key); it != seen.end())
            fail(where, "duplicate key '" + std::string(key) + "'" + in_what + " (first set on line " +
                            std::to_string(it->second.line) + ")");
        seen.emplace(std::string(key), std::move(where));
    }
    void note_key(std::string_view key, SourceLocation where) { note_key(keys, key, std::move(where), in_domain()); }
};


// --- the actions: one per token that carries meaning -----------------------
template <class Rule>
struct action : pg::nothing<Rule> {};

template <>
struct action<gr::version_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (!st.config.domains.empty())
            st.fail(st.at(in), "'version' must come before the first memdomain");
        if (st.version_line)
            st.fail(st.at(in), "duplicate 'version' (first set on line " + std::to_string(*st.version_line) + ")");
        st.version_line = in.position().line;
    }
};

template <>
struct action<gr::version_value> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (in.string_view() != "1")
            st.fail(st.at(in), "unsupported config version '" + shown(in.string_view()) +
                                   "': this memdomaind reads version 1");
        st.config.version = 1;
    }
};

template <>
struct action<gr::unknown_top_level> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view k = in.string_view();
        std::string hint;
        if (k == "socket") hint = "; socket { } goes inside a memdomain";
        if (k == "max_pending_connections" || k == "max_queued_messages") hint = "; limits go inside server { }";
        if (k == "admin_group") hint = "; admin_group goes inside server { }";
        for (std::string_view d : {"type", "policy", "cpualias", "vectors", "max_peers", "grace", "contiguous", "vaddr",
                                   "size", "access"})
            if (k == d) hint = "; " + std::string(k) + " goes inside a memdomain";
        st.fail(st.at(in), "unknown top-level keyword '" + shown(k) + "' (expected 'memdomain', 'server' or 'version')" +
                               hint);
    }
};

template <>
struct action<gr::domain_name> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string name = in.string();
        if (auto ok = validate_domain_name(name); !ok) st.fail(st.at(in), "bad memdomain name: " + ok.error().message);
        if (auto it = st.domain_lines.find(name); it != st.domain_lines.end())
            st.fail(st.at(in), "duplicate memdomain '" + name + "' (first defined on line " +
                                   std::to_string(it->second) + ")");
        st.domain = DomainConfig{};
        st.domain.name = name;
        st.domain.where = st.at(in);
        st.keys.clear();
        st.size_value_where.clear();
        st.principals.clear();
        st.socket_keys.clear();
    }
};

// Each key may be given once per memdomain.
template <class Key>
struct note_key_action {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.note_key(in.string_view(), st.at(in));
    }
};
template <> struct action<gr::type_key> : note_key_action<gr::type_key> {};
template <> struct action<gr::policy_key> : note_key_action<gr::policy_key> {};
template <> struct action<gr::vectors_key> : note_key_action<gr::vectors_key> {};
template <> struct action<gr::max_peers_key> : note_key_action<gr::max_peers_key> {};
template <> struct action<gr::cpualias_key> : note_key_action<gr::cpualias_key> {};

template <>
struct action<gr::unknown_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view k = in.string_view();
        std::string hint;
        if (k == "memdomain") hint = "; is the '}' of memdomain '" + st.domain.name + "' missing?";
        if (k == "huge") hint = "; segment lines go inside size { }";
        if (k == "user" || k == "group") hint = "; access lines go inside access { }";
        if (k == "owner" || k == "mode") hint = "; socket keys go inside socket { }";
        if (k == "server") hint = "; server { } is a top-level block, outside every memdomain";
        if (k == "max_pending_connections" || k == "max_queued_messages")
            hint = "; limits go inside the top-level server { }";
        if (k == "admin_group") hint = "; admin_group goes inside the top-level server { }";
        st.fail(st.at(in), "unknown key '" + shown(k) + "'" + st.in_domain() + " (valid keys: " + kValidKeys + ")" + hint);
    }
};

template <>
struct action<gr::scalar_value<gr::type_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view v = in.string_view();
        if (v == "shared") st.domain.type = DomainType::Shared;
        else if (v == "local") st.domain.type = DomainType::Local;
        else if (v == "numa") st.domain.type = DomainType::Numa;
        else st.fail(st.at(in), "bad type '" + shown(v) + "' (allowed: shared, local, numa)");
    }
};

template <>
struct action<gr::scalar_value<gr::policy_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view v = in.string_view();
        if (v == "static") st.domain.policy = DomainPolicy::Static;
        else if (v == "dynamic") st.domain.policy = DomainPolicy::Dynamic;
        else st.fail(st.at(in), "bad policy '" + shown(v) + "' (allowed: static, dynamic)");
    }
};

// vectors, max_peers and the server limits: a decimal number in [min, max].
template <class Input>
std::uint32_t count_value(const Input& in, const State& st, const char* key, std::uint32_t min, std::uint32_t max) {
    auto v = values::parse_decimal(in.string_view());
    if (!v || *v < min || *v > max)
        st.fail(st.at(in), std::string(key) + " must be a number from " + std::to_string(min) + " to " +
                               std::to_string(max) + ", not '" + shown(in.string_view()) + "'");
    return static_cast<std::uint32_t>(*v);
}

template <>
struct action<gr::scalar_value<gr::vectors_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.domain.vectors = count_value(in, st, "vectors", 1, kMaxVectors);
    }
};

template <>
struct action<gr::scalar_value<gr::max_peers_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.domain.max_peers = count_value(in, st, "max_peers", 1, kMaxPeers);
    }
};

template <>
struct action<gr::quoted_string> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view all = in.string_view();
        const std::string_view body = all.substr(1, all.size() - 2);
        if (auto p = values::cpu_list_problem(body)) {
            SourceLocation where = st.at(in);
            where.column += 1 + p->offset;  // the string is on one line
            st.fail(where, shown(p->message, 200));
        }
        st.domain.cpualias = std::string(body);
    }
};

template <>
struct action<gr::unterminated_string> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.fail(st.at(in), "unterminated string: a string ends with '\"' on the line it starts");
    }
};

// The end of a memdomain: the checks that need all of its keys.
template <>
struct action<gr::domain_close> {
    template <class Input>
    static void apply(const Input&, State& st) {
        DomainConfig& d = st.domain;
        if (d.segments.empty())
            st.fail(d.where, "memdomain '" + d.name + "' has no size block (required: size { huge 4K = 1MB R/W })");
        // The header and mailbox do not depend on the segment size; ask with
        // the largest one to learn where the data area starts.
        SegmentHeaderSpec spec;
        spec.segment_size = UINT64_MAX;
        spec.vectors = d.vectors;
        spec.max_peers = d.max_peers;
        auto g = segment_geometry(spec);
        if (!g) st.fail(d.where, g.error().message);  // unreachable: both were range-checked
        for (std::size_t i = 0; i < d.segments.size(); ++i) {
            const SegmentConfig& seg = d.segments[i];
            if (seg.size > g->data_offset) continue;
            st.fail(st.size_value_where[i],
                    format_size(seg.size) + " is too small for the 4K header plus the doorbell mailbox of " +
                        std::to_string(d.max_peers) + " peers (together " + format_size(g->data_offset) +
                        "): use at least " +
                        format_size(values::smallest_segment(g->data_offset, page_size_of(seg.page_class))));
        }
        if (d.vaddr) {
            std::vector<std::pair<std::uint64_t, std::uint64_t>> sizes;
            for (const SegmentConfig& seg : d.segments) sizes.emplace_back(page_size_of(seg.page_class), seg.size);
            if (auto p = values::vaddr_layout_problem(*d.vaddr, sizes, d.name)) st.fail(st.vaddr_where, *p);
        }
        st.domain_lines.emplace(d.name, d.where.line);
        st.config.domains.push_back(std::move(d));
        st.domain = DomainConfig{};
    }
};


}  // namespace memdomain::config::detail
