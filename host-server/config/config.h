// The server's configuration, as parsed from a config file: the model only.
// Parsing is in config_parser.h; what the server does with it is elsewhere.
// Every element keeps where it was written, so later checks (e.g. "the pool
// cannot hold this domain") can still point at FILE:LINE:COL.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/segment_header.h"
#include "memdomain/common/sizes.h"

namespace memdomain::config {

struct SourceLocation {
    std::string file;  // as given to the parser ("<string>" for in-memory text)
    std::size_t line = 0;    // 1-based
    std::size_t column = 0;  // 1-based
};
// "FILE:LINE:COL"
std::string to_string(const SourceLocation& loc);

enum class DomainType { Shared, Local, Numa };
enum class DomainPolicy { Static, Dynamic };

// One line of a size { } block: "huge 2M = 64MB R/W".
struct SegmentConfig {
    PageClass page_class = PageClass::k4K;
    std::uint64_t size = 0;
    SegmentAccess access = SegmentAccess::ReadWrite;  // the most any client gets
    SourceLocation where;
};

// One line of an access { } block: "user root = R/W", "group 1001 = R/O",
// "vm web1 = R/W", "vm * = R/W". User and group names are kept as written
// and resolved to ids when the server applies them. A vm entry names a
// libvirt VM (acl/libvirt_vm.h says how the server recognises one): a named
// VM is admitted at connect; "*" admits nobody by itself, it lets the libvirt
// hook lease the domain to any VM whose domain XML names it (see acl.h).
struct AclEntry {
    enum class Kind { User, Group, Vm } kind = Kind::User;
    std::string principal;  // name or decimal id as written; a VM's name, or "*"
    SegmentAccess access = SegmentAccess::ReadOnly;
    SourceLocation where;
};
// "user", "group", "vm"; and back (nullopt for any other word).
const char* to_string(AclEntry::Kind kind);
std::optional<AclEntry::Kind> acl_kind_from(std::string_view word);
// The principal of a vm entry that matches every VM (through the hook only).
inline constexpr std::string_view kAnyVm = "*";

// A domain's "socket { owner = U  group = G  mode = 0660 }" block: how its
// socket files are created. Unset fields take the server's defaults (owner:
// the server's user, group: root's group (gid 0), mode: 0660).
struct SocketConfig {
    std::optional<std::string> owner;  // user name or decimal uid, as written
    std::optional<std::string> group;  // group name or decimal gid, as written
    std::optional<std::uint32_t> mode;  // permission bits, written in octal
    SourceLocation where;  // of the "socket" keyword
};

// The top-level "server { ... }" block: limits against hostile clients.
struct ServerConfig {
    std::uint32_t max_pending_connections = 64;  // listen backlog of every socket, 1..4096
    std::uint32_t max_queued_messages = 16384;   // per peer; past it the peer is dropped, 64..1048576
    // "admin_group = NAME|GID": members (and root) may change domains through
    // control.sock (create, destroy, grant, revoke). Unset: root only.
    std::optional<std::string> admin_group;
    SourceLocation admin_group_where;
    // "libvirt_run_dir = /run/libvirt/qemu": where libvirt's QEMU driver
    // keeps its root-owned <vm>.pid files, from which the server tells which
    // VM a connecting QEMU is (acl/libvirt_vm.h). An absolute path.
    std::string libvirt_run_dir = "/run/libvirt/qemu";
    SourceLocation libvirt_run_dir_where;
};

struct DomainConfig {
    std::string name;
    SourceLocation where;  // of the name
    DomainType type = DomainType::Shared;
    DomainPolicy policy = DomainPolicy::Static;
    std::string cpualias = "all";
    std::uint32_t vectors = 1;     // doorbell vectors per peer, 1..kMaxVectors
    std::uint32_t max_peers = 64;  // 1..kMaxPeers
    // "grace = 30s": how long a dynamic instance outlives its last peer
    // (0 .. 24h, written with ms, s, m or h). Ignored for static domains.
    std::uint64_t grace_ms = 30000;
    // "contiguous = yes": every segment must be physically contiguous (DMA);
    // checked through /proc/self/pagemap, which takes CAP_SYS_ADMIN.
    bool contiguous = false;
    // "vaddr = 0x7f0000000000": where clients map segment 0; segment i follows
    // segment i-1, rounded up to its page size. Page-aligned (to the largest
    // page class of the domain), canonical user-space address, non-zero.
    std::optional<std::uint64_t> vaddr;
    std::vector<SegmentConfig> segments;  // at least one
    std::optional<std::vector<AclEntry>> access;  // nullopt: no access block
    SocketConfig socket;
};

struct Config {
    std::uint32_t version = 1;  // "version = 1" at top level; the only one so far
    ServerConfig server;
    std::vector<DomainConfig> domains;  // names unique
};

}  // namespace memdomain::config
