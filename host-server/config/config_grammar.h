// The PEGTL grammar of the memdomain config language (docs/config-grammar.md
// is the same grammar in EBNF). This file only says what the text looks like;
// what the words mean (sizes, enums, ranges, duplicates) is checked by the
// actions in config_actions.h, which see each token with its position.
//
// Every rule that is the target of must<> carries `expected`, the second half
// of the error message when it is missing ("FILE:L:C: unexpected X: <expected>").
// The control in config_parser.cpp refuses to compile a must<> target without
// one, so no error can come out as a mangled rule name.
//
// must<> targets either match or fail on their first byte, so the position
// of a failure is always the start of the token that is wrong.
#pragma once

#include <tao/pegtl.hpp>

namespace memdomain::config::grammar {

namespace pg = tao::pegtl;

// Layout: blanks (CR too, so CRLF files parse) and '#' comments to end of line.
struct comment : pg::seq<pg::one<'#'>, pg::until<pg::eolf>> {};
struct blank : pg::one<' ', '\t', '\r', '\n'> {};
struct sep : pg::star<pg::sor<blank, comment>> {};

// A word is a run of printable ASCII other than the punctuation of the
// language: " # = { }. Values are words; what a word may be is up to the
// action that reads it, so "1.5G" is reported as a bad size, not as garbage.
struct word_char : pg::ranges<'!', '!', '$', '<', '>', 'z', '|', '|', '~', '~'> {};
struct word : pg::plus<word_char> {};

template <char... C>
struct kw : pg::seq<pg::string<C...>, pg::not_at<word_char>> {};

template <class Context>
struct equals : pg::one<'='> {
    static constexpr const char* expected = Context::after_equals;
};

// --- top level --------------------------------------------------------------
struct version_key : kw<'v', 'e', 'r', 's', 'i', 'o', 'n'> {
    static constexpr const char* after_equals = "expected '=' after 'version'";
};
struct version_value : word {
    static constexpr const char* expected = "expected a version number after 'version ='";
};
struct version_stmt : pg::seq<version_key, sep, pg::must<equals<version_key>>, sep, pg::must<version_value>> {};

// --- inside a memdomain: scalar keys ----------------------------------------
template <class Key>
struct scalar_value : word {
    static constexpr const char* expected = Key::value_expected;
};
template <class Key>
struct scalar_item : pg::seq<Key, sep, pg::must<equals<Key>>, sep, pg::must<scalar_value<Key>>> {};

struct type_key : kw<'t', 'y', 'p', 'e'> {
    static constexpr const char* after_equals = "expected '=' after 'type'";
    static constexpr const char* value_expected = "expected shared, local or numa after 'type ='";
};
struct policy_key : kw<'p', 'o', 'l', 'i', 'c', 'y'> {
    static constexpr const char* after_equals = "expected '=' after 'policy'";
    static constexpr const char* value_expected = "expected static or dynamic after 'policy ='";
};
struct vectors_key : kw<'v', 'e', 'c', 't', 'o', 'r', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'vectors'";
    static constexpr const char* value_expected = "expected a number of vectors (1..8) after 'vectors ='";
};
struct max_peers_key : kw<'m', 'a', 'x', '_', 'p', 'e', 'e', 'r', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'max_peers'";
    static constexpr const char* value_expected = "expected a number of peers (1..1024) after 'max_peers ='";
};

struct grace_key : kw<'g', 'r', 'a', 'c', 'e'> {
    static constexpr const char* after_equals = "expected '=' after 'grace'";
    static constexpr const char* value_expected = "expected a duration such as 30s or 500ms after 'grace ='";
};
struct contiguous_key : kw<'c', 'o', 'n', 't', 'i', 'g', 'u', 'o', 'u', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'contiguous'";
    static constexpr const char* value_expected = "expected yes or no after 'contiguous ='";
};
struct vaddr_key : kw<'v', 'a', 'd', 'd', 'r'> {
    static constexpr const char* after_equals = "expected '=' after 'vaddr'";
    static constexpr const char* value_expected = "expected a hex address such as 0x7f0000000000 after 'vaddr ='";
};

// cpualias takes a quoted string. A string ends on its line; one that does
// not is matched by unterminated_string so the error points at its quote.
struct string_body : pg::star<pg::not_one<'"', '\r', '\n'>> {};
struct quoted_string : pg::seq<pg::one<'"'>, string_body, pg::one<'"'>> {};
struct unterminated_string : pg::seq<pg::one<'"'>, string_body> {};
struct cpualias_value : pg::sor<quoted_string, unterminated_string> {
    static constexpr const char* expected = "expected a quoted string (\"all\" or a CPU list like \"0-3,6\") after 'cpualias ='";
};
struct cpualias_key : kw<'c', 'p', 'u', 'a', 'l', 'i', 'a', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'cpualias'";
};
struct cpualias_item : pg::seq<cpualias_key, sep, pg::must<equals<cpualias_key>>, sep, pg::must<cpualias_value>> {};

// --- size { huge 4K = 128MB R/W ... } ---------------------------------------
struct huge_key : kw<'h', 'u', 'g', 'e'> {
    static constexpr const char* after_equals = "expected '=' after the page class";
};
struct page_class_word : word {
    static constexpr const char* expected = "expected a page class (4K, 2M or 1G) after 'huge'";
};
struct segment_size_word : word {
    static constexpr const char* expected = "expected a segment size such as 64MB after '='";
};
// The access of a segment is optional; any other word than 'huge' after the
// size is taken as one, so "RW" is reported as a bad access, not as garbage.
struct segment_access_word : pg::seq<pg::not_at<huge_key>, word> {};
struct size_line : pg::seq<huge_key, sep, pg::must<page_class_word>, sep, pg::must<equals<huge_key>>, sep,
                           pg::must<segment_size_word>, pg::opt<sep, segment_access_word>> {};
struct size_key : kw<'s', 'i', 'z', 'e'> {};
struct size_open : pg::one<'{'> {
    static constexpr const char* expected = "expected '{' after 'size' (segments are lines like 'huge 4K = 1MB R/W' inside size { })";
};
struct size_close : pg::one<'}'> {
    static constexpr const char* expected = "expected 'huge' or '}' in the size block";
};
struct size_block : pg::seq<size_key, sep, pg::must<size_open>, sep, pg::star<size_line, sep>, pg::must<size_close>> {};

// --- access { user root = R/W  vm web1 = R/W ... } ---------------------------
struct acl_user : kw<'u', 's', 'e', 'r'> {};
struct acl_group : kw<'g', 'r', 'o', 'u', 'p'> {};
struct acl_vm : kw<'v', 'm'> {};
struct acl_kind : pg::sor<acl_user, acl_group, acl_vm> {
    static constexpr const char* after_equals = "expected '=' after the user, group or VM";
};
struct principal_word : word {
    static constexpr const char* expected = "expected a user or group name, a numeric id, or a VM name or '*'";
};
struct acl_access_word : word {
    static constexpr const char* expected = "expected R/W or R/O after '='";
};
struct acl_line : pg::seq<acl_kind, sep, pg::must<principal_word>, sep, pg::must<equals<acl_kind>>, sep,
                          pg::must<acl_access_word>> {};
struct access_key : kw<'a', 'c', 'c', 'e', 's', 's'> {};
struct access_open : pg::one<'{'> {
    static constexpr const char* expected = "expected '{' after 'access' (lines like 'user root = R/W' inside access { })";
};
struct access_close : pg::one<'}'> {
    static constexpr const char* expected = "expected 'user', 'group', 'vm' or '}' in the access block";
};
struct access_block
    : pg::seq<access_key, sep, pg::must<access_open>, sep, pg::star<acl_line, sep>, pg::must<access_close>> {};

// --- socket { owner = root  group = kvm  mode = 0660 } ----------------------
// Owner and group are kept as written; the server resolves them.
struct owner_key : kw<'o', 'w', 'n', 'e', 'r'> {
    static constexpr const char* after_equals = "expected '=' after 'owner'";
    static constexpr const char* value_expected = "expected a user name or decimal uid after 'owner ='";
};
// A type of its own, not acl_group: the same word means another thing here.
struct socket_group_key : kw<'g', 'r', 'o', 'u', 'p'> {
    static constexpr const char* after_equals = "expected '=' after 'group'";
    static constexpr const char* value_expected = "expected a group name or decimal gid after 'group ='";
};
struct mode_key : kw<'m', 'o', 'd', 'e'> {
    static constexpr const char* after_equals = "expected '=' after 'mode'";
    static constexpr const char* value_expected = "expected an octal mode such as 0660 after 'mode ='";
};
// Any other word in the block: the action reports it with the valid keys.
struct unknown_socket_key : word {};
struct socket_item
    : pg::sor<scalar_item<owner_key>, scalar_item<socket_group_key>, scalar_item<mode_key>, unknown_socket_key> {};
struct socket_key : kw<'s', 'o', 'c', 'k', 'e', 't'> {};
struct socket_open : pg::one<'{'> {
    static constexpr const char* expected = "expected '{' after 'socket' (lines like 'mode = 0660' inside socket { })";
};
struct socket_close : pg::one<'}'> {
    static constexpr const char* expected = "expected 'owner', 'group', 'mode' or '}' in the socket block";
};
struct socket_block
    : pg::seq<socket_key, sep, pg::must<socket_open>, sep, pg::star<socket_item, sep>, pg::must<socket_close>> {};

// Any other word where a key belongs: the action reports it by name.
struct unknown_key : word {};

struct domain_item
    : pg::sor<scalar_item<type_key>, scalar_item<policy_key>, scalar_item<vectors_key>, scalar_item<max_peers_key>,
              scalar_item<grace_key>, scalar_item<contiguous_key>, scalar_item<vaddr_key>, cpualias_item, size_block,
              access_block, socket_block, unknown_key> {};

// --- memdomain NAME { ... } -------------------------------------------------
struct memdomain_key : kw<'m', 'e', 'm', 'd', 'o', 'm', 'a', 'i', 'n'> {};
struct domain_name : word {
    static constexpr const char* expected = "expected a memdomain name after 'memdomain'";
};
struct domain_open : pg::one<'{'> {
    static constexpr const char* expected = "expected '{' after the memdomain name";
};
struct domain_close : pg::one<'}'> {
    static constexpr const char* expected =
        "expected '}' or a key (type, policy, cpualias, vectors, max_peers, grace, contiguous, vaddr, size, access, "
        "socket)";
};
struct domain : pg::seq<memdomain_key, sep, pg::must<domain_name>, sep, pg::must<domain_open>, sep,
                        pg::star<domain_item, sep>, pg::must<domain_close>> {};

// --- server { max_pending_connections = 64 ... } (top level) ----------------
struct max_pending_connections_key
    : kw<'m', 'a', 'x', '_', 'p', 'e', 'n', 'd', 'i', 'n', 'g', '_', 'c', 'o', 'n', 'n', 'e', 'c', 't', 'i', 'o', 'n', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'max_pending_connections'";
    static constexpr const char* value_expected =
        "expected a number of connections (1..4096) after 'max_pending_connections ='";
};
struct max_queued_messages_key
    : kw<'m', 'a', 'x', '_', 'q', 'u', 'e', 'u', 'e', 'd', '_', 'm', 'e', 's', 's', 'a', 'g', 'e', 's'> {
    static constexpr const char* after_equals = "expected '=' after 'max_queued_messages'";
    static constexpr const char* value_expected =
        "expected a number of messages (64..1048576) after 'max_queued_messages ='";
};
// Kept as written, like a socket block's group; the server resolves it.
struct admin_group_key : kw<'a', 'd', 'm', 'i', 'n', '_', 'g', 'r', 'o', 'u', 'p'> {
    static constexpr const char* after_equals = "expected '=' after 'admin_group'";
    static constexpr const char* value_expected = "expected a group name or decimal gid after 'admin_group ='";
};
// Where libvirt keeps its QEMU pid files (acl/libvirt_vm.h): an absolute path.
struct libvirt_run_dir_key : kw<'l', 'i', 'b', 'v', 'i', 'r', 't', '_', 'r', 'u', 'n', '_', 'd', 'i', 'r'> {
    static constexpr const char* after_equals = "expected '=' after 'libvirt_run_dir'";
    static constexpr const char* value_expected =
        "expected an absolute directory such as /run/libvirt/qemu after 'libvirt_run_dir ='";
};
struct unknown_server_key : word {};
struct server_item : pg::sor<scalar_item<max_pending_connections_key>, scalar_item<max_queued_messages_key>,
                             scalar_item<admin_group_key>, scalar_item<libvirt_run_dir_key>, unknown_server_key> {};
struct server_key : kw<'s', 'e', 'r', 'v', 'e', 'r'> {};
struct server_open : pg::one<'{'> {
    static constexpr const char* expected =
        "expected '{' after 'server' (lines like 'max_pending_connections = 64' inside server { })";
};
struct server_close : pg::one<'}'> {
    static constexpr const char* expected =
        "expected 'max_pending_connections', 'max_queued_messages', 'admin_group', 'libvirt_run_dir' or '}' in the "
        "server block";
};
struct server_block
    : pg::seq<server_key, sep, pg::must<server_open>, sep, pg::star<server_item, sep>, pg::must<server_close>> {};

struct unknown_top_level : word {};
struct end_of_file : pg::eof {
    static constexpr const char* expected = "expected 'memdomain', 'server', 'version' or the end of the file";
};
struct file
    : pg::seq<sep, pg::star<pg::sor<version_stmt, server_block, domain, unknown_top_level>, sep>, pg::must<end_of_file>> {};

// --- a runtime domain (control plane "create"): one memdomain block only -----
// The same domain rule, so a runtime domain is checked exactly as one in the
// file; version and server { } belong to the file and are refused here.
struct only_domain : domain {
    static constexpr const char* expected =
        "expected exactly one memdomain block ('memdomain NAME { ... }', no version, no server block)";
};
struct end_of_domain_text : pg::eof {
    static constexpr const char* expected = "expected exactly one memdomain block and nothing after it";
};
struct domain_text : pg::seq<sep, pg::must<only_domain>, sep, pg::must<end_of_domain_text>> {};

}  // namespace memdomain::config::grammar
