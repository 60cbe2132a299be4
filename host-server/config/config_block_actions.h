// The actions of the two small key = value blocks: a domain's socket { }
// (who owns its socket files, with which mode) and the top-level server { }
// (limits against clients that flood or stall, and who administers domains). Same pattern as
// config_actions.h, whose State and helpers they use; kept apart so each file
// stays one job. Only config_parser.cpp includes this.
#pragma once

#include <string>
#include <string_view>

#include "config/config_actions.h"

namespace memdomain::config::detail {

inline constexpr const char* kValidSocketKeys = "owner, group, mode";
inline constexpr const char* kValidServerKeys =
    "max_pending_connections, max_queued_messages, admin_group, libvirt_run_dir";

// --- socket { owner = U  group = G  mode = 0660 } ----------------------------
inline std::string in_socket(const State& st) { return " in the socket block of memdomain '" + st.domain.name + "'"; }

template <>
struct action<gr::socket_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        // Its own message rather than "duplicate key": the second block's
        // keys would otherwise be reported as duplicates of the first's.
        if (auto it = st.keys.find("socket"); it != st.keys.end())
            st.fail(st.at(in), "duplicate socket block" + st.in_domain() + " (first on line " +
                                   std::to_string(it->second.line) + ")");
        st.note_key("socket", st.at(in));
        st.domain.socket.where = st.at(in);
    }
};

template <class Key>
struct note_socket_key_action {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.note_key(st.socket_keys, in.string_view(), st.at(in), in_socket(st));
    }
};
template <> struct action<gr::owner_key> : note_socket_key_action<gr::owner_key> {};
template <> struct action<gr::socket_group_key> : note_socket_key_action<gr::socket_group_key> {};
template <> struct action<gr::mode_key> : note_socket_key_action<gr::mode_key> {};

template <>
struct action<gr::unknown_socket_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view k = in.string_view();
        std::string hint;
        if (k == "user") hint = "; the socket's user is 'owner'";
        st.fail(st.at(in), "unknown key '" + shown(k) + "'" + in_socket(st) + " (valid keys: " + kValidSocketKeys +
                               ")" + hint);
    }
};

// Owner and group follow the access block's principal rules; they are not
// looked up here (the server does, and reports unknown names at `where`).
template <>
struct action<gr::scalar_value<gr::owner_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (auto p = values::principal_problem(in.string_view())) st.fail(st.at(in), *p);
        st.domain.socket.owner = in.string();
    }
};

template <>
struct action<gr::scalar_value<gr::socket_group_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (auto p = values::principal_problem(in.string_view())) st.fail(st.at(in), *p);
        st.domain.socket.group = in.string();
    }
};

template <>
struct action<gr::scalar_value<gr::mode_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (auto p = values::mode_problem(in.string_view()))
            st.fail(st.at(in), "bad mode '" + shown(in.string_view(), 32) + "': " + *p);
        st.domain.socket.mode = *values::parse_octal(in.string_view());
    }
};

// --- server { max_pending_connections = N  max_queued_messages = N } ---------
inline constexpr const char* kInServer = " in the server block";

template <>
struct action<gr::server_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (st.server_line)
            st.fail(st.at(in), "duplicate server block (first on line " + std::to_string(*st.server_line) + ")");
        st.server_line = in.position().line;
    }
};

template <class Key>
struct note_server_key_action {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.note_key(st.server_keys, in.string_view(), st.at(in), kInServer);
    }
};
template <> struct action<gr::max_pending_connections_key> : note_server_key_action<gr::max_pending_connections_key> {};
template <> struct action<gr::max_queued_messages_key> : note_server_key_action<gr::max_queued_messages_key> {};
template <> struct action<gr::admin_group_key> : note_server_key_action<gr::admin_group_key> {};
template <> struct action<gr::libvirt_run_dir_key> : note_server_key_action<gr::libvirt_run_dir_key> {};

template <>
struct action<gr::unknown_server_key> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view k = in.string_view();
        std::string hint;
        if (k == "memdomain") hint = "; is the '}' of the server block missing?";
        if (k == "grace" || k == "contiguous" || k == "vaddr" || k == "socket")
            hint = "; " + std::string(k) + " belongs to a memdomain";
        st.fail(st.at(in), "unknown key '" + shown(k) + "'" + kInServer + " (valid keys: " + kValidServerKeys + ")" +
                               hint);
    }
};

// The ranges are the model's (config.h). A backlog of 0 would refuse every
// connection and Linux caps it at somaxconn (4096 by default). A peer that
// joins a full domain is sent one message per vector of every other peer (up
// to 1024 x 8 = 8192), which the default 16384 covers; the floor of 64 keeps
// a typo from dropping every peer.
template <>
struct action<gr::scalar_value<gr::max_pending_connections_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.config.server.max_pending_connections = count_value(in, st, "max_pending_connections", 1, 4096);
    }
};

template <>
struct action<gr::scalar_value<gr::max_queued_messages_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        st.config.server.max_queued_messages = count_value(in, st, "max_queued_messages", 64, 1048576);
    }
};

// Who may change domains through control.sock: a group, with the rules of a
// socket block's group. Kept as written; the server resolves it and reports
// an unknown name at admin_group_where (the value).
template <>
struct action<gr::scalar_value<gr::admin_group_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        if (auto p = values::principal_problem(in.string_view())) st.fail(st.at(in), *p);
        st.config.server.admin_group = in.string();
        st.config.server.admin_group_where = st.at(in);
    }
};

// Where libvirt's QEMU driver keeps <vm>.pid: absolute, so it cannot depend
// on the server's working directory. Whether it is root's and safe is checked
// at each lookup (acl/libvirt_vm.h), since libvirt creates it later.
template <>
struct action<gr::scalar_value<gr::libvirt_run_dir_key>> {
    template <class Input>
    static void apply(const Input& in, State& st) {
        const std::string_view v = in.string_view();
        if (v.front() != '/')
            st.fail(st.at(in), "libvirt_run_dir '" + shown(v) + "' is not an absolute path" + kInServer);
        st.config.server.libvirt_run_dir = in.string();
        st.config.server.libvirt_run_dir_where = st.at(in);
    }
};

}  // namespace memdomain::config::detail
