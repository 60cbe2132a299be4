// The actions of a domain's three placement and lifetime keys: grace (how
// long a dynamic instance outlives its last peer), contiguous (physically
// contiguous memory, for DMA) and vaddr (where clients map the domain). Same
// pattern as config_actions.h, whose State and helpers they use; the check of
// vaddr against the domain's segments runs at the domain's '}' (there, since
// the size block may come after vaddr). Only config_parser.cpp includes this.
#pragma once

#include <string>
#include <string_view>

#include "config/config_actions.h"

namespace memdomain::config::detail {

template <> struct action<gr::grace_key> : note_key_action<gr::grace_key> {};
template <> struct action<gr::contiguous_key> : note_key_action<gr::contiguous_key> {};
template <> struct action<gr::vaddr_key> : note_key_action<gr::vaddr_key> {};

template <>
struct action<gr::scalar_value<gr::grace_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const values::Duration d = values::parse_duration(in.string_view());
        if (!d.ms) st.fail(st.at(in), "bad duration '" + shown(in.string_view(), 32) + "': " + d.problem);
        st.domain.grace_ms = *d.ms;
    }
};

template <>
struct action<gr::scalar_value<gr::contiguous_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        auto v = values::yes_no(in.string_view());
        if (!v) st.fail(st.at(in), "bad contiguous '" + shown(in.string_view()) + "' (allowed: yes, no)");
        st.domain.contiguous = *v;
    }
};

template <>
struct action<gr::scalar_value<gr::vaddr_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const values::Vaddr v = values::parse_vaddr(in.string_view());
        if (!v.value) st.fail(st.at(in), "bad vaddr '" + shown(in.string_view(), 32) + "': " + v.problem);
        st.domain.vaddr = *v.value;
        st.vaddr_where = st.at(in);
    }
};

}  // namespace memdomain::config::detail
