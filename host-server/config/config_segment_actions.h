// The actions of a domain's two list blocks: size { } (one segment per
// "huge PAGE = SIZE [ACCESS]" line: page class, power-of-two size, whole
// pages, at most 16) and access { } (one grant per "user|group P = ACCESS"
// line, each principal once). Same pattern as config_actions.h, whose State
// and helpers they use; the "too small for the header" check needs max_peers,
// which may come later, so it runs at the domain's '}' there. Only
// config_parser.cpp includes this.
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "config/config_actions.h"

namespace memdomain::config::detail {

template <>
struct action<gr::size_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.note_key("size", st.at(in));
        st.size_key_where = st.at(in);
    }
};

template <>
struct action<gr::access_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.note_key("access", st.at(in));
        st.domain.access.emplace();
    }
};

template <>
struct action<gr::huge_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (st.domain.segments.size() == kMaxSegments)
            st.fail(st.at(in), "more than " + std::to_string(kMaxSegments) + " segments" + st.in_domain());
        SegmentConfig seg;
        seg.where = st.at(in);
        st.size_value_where.push_back(seg.where);
        st.domain.segments.push_back(std::move(seg));
    }
};

template <>
struct action<gr::page_class_word> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        auto c = values::page_class_word(in.string_view());
        if (!c) st.fail(st.at(in), "bad page class '" + shown(in.string_view()) + "' (allowed: 4K, 2M, 1G)");
        st.domain.segments.back().page_class = *c;
    }
};

template <>
struct action<gr::segment_size_word> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        SegmentConfig& seg = st.domain.segments.back();
        auto size = parse_size(in.string_view());
        if (!size)
            st.fail(st.at(in), "bad size '" + shown(in.string_view()) +
                                   "' (expected a whole number above 0 with an optional K, M, G or T suffix, "
                                   "e.g. 64MB, below 16 exbibytes)");
        if (!is_power_of_two(*size)) st.fail(st.at(in), values::not_power_of_two(*size));
        const std::uint64_t page = page_size_of(seg.page_class);
        if (*size % page != 0)
            st.fail(st.at(in), format_size(*size) + " is not a multiple of its " +
                                   std::string(to_string(seg.page_class)) + " page size");
        seg.size = *size;
        st.size_value_where.back() = st.at(in);
    }
};

template <>
struct action<gr::segment_access_word> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        auto a = values::access_word(in.string_view());
        if (!a) st.fail(st.at(in), "bad access '" + shown(in.string_view()) + "' (allowed: R/W, R/O)");
        st.domain.segments.back().access = *a;
    }
};

template <>
struct action<gr::size_close> {
    template <class Input>
    static void apply(const Input&, State& st) {
        if (st.domain.segments.empty())
            st.fail(st.size_key_where, "empty size block" + st.in_domain() +
                                           ": add at least one line like 'huge 4K = 1MB R/W'");
    }
};

template <class Kind>
struct acl_kind_action {
    template <class Input>
    static void apply(const Input& in, State& st) {
        AclEntry e;
        e.kind = std::is_same_v<Kind, gr::acl_user>    ? AclEntry::Kind::User
                 : std::is_same_v<Kind, gr::acl_group> ? AclEntry::Kind::Group
                                                       : AclEntry::Kind::Vm;
        e.where = st.at(in);
        st.domain.access->push_back(std::move(e));
    }
};
template <> struct action<gr::acl_user> : acl_kind_action<gr::acl_user> {};
template <> struct action<gr::acl_group> : acl_kind_action<gr::acl_group> {};
template <> struct action<gr::acl_vm> : acl_kind_action<gr::acl_vm> {};

template <>
struct action<gr::principal_word> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        AclEntry& e = st.domain.access->back();
        const auto problem = e.kind == AclEntry::Kind::Vm ? values::vm_name_problem(in.string_view())
                                                          : values::principal_problem(in.string_view());
        if (problem) st.fail(st.at(in), *problem);
        e.principal = in.string();
        const auto key = std::make_pair(e.kind, e.principal);
        if (auto it = st.principals.find(key); it != st.principals.end())
            st.fail(st.at(in), std::string("duplicate access entry for ") + to_string(e.kind) + " '" + e.principal + "'" +
                                   st.in_domain() + " (first on line " + std::to_string(it->second) + ")");
        st.principals.emplace(key, in.position().line);
    }
};

template <>
struct action<gr::acl_access_word> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        auto a = values::access_word(in.string_view());
        if (!a) st.fail(st.at(in), "bad access '" + shown(in.string_view()) + "' (allowed: R/W, R/O)");
        st.domain.access->back().access = *a;
    }
};

}  // namespace memdomain::config::detail
