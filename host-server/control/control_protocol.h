// The control protocol of memdomaind: <socket dir>/control.sock.
//
// Transport. A SOCK_STREAM UNIX socket (mode 0660, owner the server's user,
// group root: whoever may connect may read). Newline-delimited JSON: the
// client writes one request object per line ('\n'-terminated, UTF-8), the
// server writes exactly one reply object per request line, in order. Blank
// lines are ignored (no reply). A client may pipeline several requests, and
// may shut its writing side down after the last one: the server still
// answers every complete line (a last line without '\n' counts as one), then
// closes. Nothing is ever sent unasked; the only lines that are not replies
// are the progress lines a create asks for (below).
//
// Request.  {"v":1,"verb":"<verb>"[,"name":"<domain>"][,<the verb's arguments>]}
//   "v" is the protocol version and must be 1; "verb" picks the operation;
//   "name" is required by the verbs that are about one domain and refused by
//   the others. Any key the verb does not take is an error (a typo must not
//   be ignored), and so is an argument of the wrong JSON type.
//
// Reply.    {"v":1,"ok":true,"result":<object>}
//        or {"v":1,"ok":false,"error":{"code":"<errno name>","message":"..."}}
//   The message already names what it is about ("no domain 'X'").
//
// Progress. {"v":1,"progress":{"done":N,"total":M}}   (no "ok" key)
//   Only for a create that asked for it ("progress":true): bytes of the new
//   domain's memory prefaulted so far, out of M, about every 100 ms while the
//   server works, then the create's reply. A line is skipped while the
//   previous one has not been sent (a client that reads slowly sees fewer).
//
// Order. Replies keep the order of the requests. A create answers late (its
// memory is prefaulted on a worker thread while the server goes on serving
// everyone else), so the server reads no further request of that client
// until the create's reply is written: pipelined requests wait behind it. A
// client that disconnects does not cancel its create.
//
// Reading verbs (anyone who may connect):
//   list                 {"domains":[{name,type,policy,origin,segments,size,
//                                     instances,resident,peers}]}
//                        origin: "config", "runtime" (created through this
//                        socket) or "adopted" (memory from a previous server
//                        process that no config names); size: bytes of one
//                        instance's segments; resident: bytes in memory over
//                        all instances; peers: attachments summed over the
//                        domain's instances and segments.
//   show {name}          {name,type,policy,origin,cpualias,nodes,grace_ms,
//                         contiguous,vaddr,vectors,max_peers,
//                         acl:{explicit,summary,entries:[{kind,principal,access}],
//                              leases:[{vm,access}]},
//                         segments:[{index,page_size,size,access,socket,namespace}],
//                         instances:[{key,generation,size,resident,peers,node,
//                                     owner_pid,grace_pending,
//                                     segments:[{index,resident,map_address,
//                                                peers:[{id,pid,uid,gid,access,
//                                                        queued,doorbells}]}]}]}
//                        access is "R/W" or "R/O"; key "shared",
//                        "local(pid P)" or "numa(node N)"; queued: messages
//                        waiting in the server for that peer; doorbells: the
//                        peer's mailbox counter per vector.
//   stats                {pid,uptime_seconds,domains,peers,fds_open,fd_limit,
//                         control_clients,hugepages:[{page_size,total,free,reserved}]}
//   qemu-args {name}     {socket,namespace,size,vectors,segments,
//                         doorbell:[argv...] (null when a segment is R/O),
//                         readonly:[argv...] (null unless type = shared)}
//                        QEMU arguments attaching a VM to every segment, as in
//                        qemu-config/README.md: ivshmem-doorbell on the
//                        sockets (read-write, doorbells), or ivshmem-plain on
//                        read-only memory backends at the namespace entries.
//   libvirt-xml {name[,vm][,readonly]}
//                        {xml,form,doorbell_xml,shmem,sockets,readonly_xml,objects,
//                         devices[,access]}
//                        xml: what to paste into a libvirt domain XML; form
//                        "doorbell" (the <shmem> elements, ivshmem-doorbell on
//                        the sockets) or "readonly" (a <qemu:commandline>
//                        with ivshmem-plain on read-only backends at the
//                        namespace entries: docs/libvirt.md). readonly: bool,
//                        asks for the read-only form; vm: the form that VM's
//                        grant calls for ("access": R/W or R/O; EACCES when
//                        it has none). shmem: the <shmem> elements one by
//                        one; sockets: each segment's. objects/devices: the read-only
//                        backends and devices as QEMU JSON (QMP object-add
//                        and device_add take them). Null where a form cannot
//                        serve (doorbell_xml and shmem with a R/O segment; the
//                        read-only parts unless type = shared, where a
//                        read-only request is EINVAL).
//
// Changing verbs (root, or a member of the config's server { admin_group },
// as the kernel reports the client's uid, gid and groups at connect; anyone
// else gets EPERM):
//   create {text[,progress]}
//                        text: config text holding exactly one
//                        "memdomain NAME { ... }" block, checked like the
//                        config file; its errors read "request:LINE:COL: ...".
//                        progress: bool, default false (see Progress).
//                        Result: the show object of the new domain, sent once
//                        its memory is ready and its sockets listen. The
//                        domain is remembered across server restarts (fd
//                        store) until destroyed; a SIGHUP reload leaves it alone.
//   destroy {name[,force]}
//                        force: bool, default false. Refused (EBUSY, the
//                        message says how many peers) while peers are
//                        attached, unless force: then they are disconnected
//                        (their mappings stay valid until they unmap).
//                        Result: {"disconnected":N}.
//   grant {name,kind,principal,access[,lease]}
//                        kind "user", "group" or "vm"; principal a name or
//                        decimal id known to this host, or a libvirt VM's
//                        name ("*": any VM, through a lease); access "R/W"
//                        or "R/O". Adds the entry or replaces the one for
//                        that principal. A domain without an access block
//                        first gets the explicit form of the default (root
//                        and the server's user, R/W), so a grant never locks
//                        them out. A R/O grant to root or the server's user,
//                        or to a group holding either, is EINVAL (the kernel
//                        cannot hold them to it: acl/acl.h). lease: bool,
//                        kind "vm" and a named VM only: instead of an entry,
//                        a lease for the VM's current run (memdomainctl
//                        attach), which release takes back.
//   revoke {name,kind,principal}
//                        Removes that principal's entry (ENOENT if there is
//                        none), and a vm principal's lease too. Peers the new
//                        rules no longer admit with the access they hold are
//                        disconnected.
//   lease {name,vm,access}
//                        The libvirt hook's grant at a VM's start: a lease
//                        for VM vm, only if the access block permits it
//                        ("vm <vm>" or "vm *" with at least that access;
//                        EACCES says what is missing). Replaces the VM's
//                        previous lease on the domain.
//                        grant, revoke and lease result: {"disconnected":N,"acl":<show's acl>}.
//   release {vm[,name]}  Drops VM vm's leases on domain name, or on every
//                        domain (the hook at a VM's release, memdomainctl
//                        detach). Result: {"released":[domains],"disconnected":N}.
//   A change made here lasts until the domain is destroyed or a SIGHUP
//   reload re-applies the config file's access block; leases last until
//   released, a reload keeps them, and so does a server restart.
//
// Error codes.
//   EBADMSG          the line is not JSON, or not a JSON object
//   EPROTONOSUPPORT  "v" is not 1 (the reply is still version 1)
//   EINVAL           a missing or unknown verb (the message lists the verbs),
//                    a missing, unexpected or mistyped argument; create's
//                    text that does not parse (the message is the parser's
//                    "request:LINE:COL: ..."); an unknown user or group
//   ENOENT           no domain of that name (the message names it); revoke
//                    of a principal the domain has no entry for
//   EACCES           lease: the access block does not permit the VM that
//                    access; libvirt-xml {vm}: the VM is granted nothing
//   EPERM            a changing verb from a client that is neither root nor
//                    in the admin group; contiguous = yes when the server
//                    does not run as root
//   EEXIST           create: the name is taken (or being created)
//   EBUSY            destroy: peers attached and no force, or the domain is
//                    still being created; also: kMaxControlClients are
//                    connected (sent, then closed)
//   ENOMEM           create: the hugepage pool cannot hold the domain, or
//                    prefaulting it ran out of memory
//   E2BIG            the request line passed kMaxRequestLine: sent, then the
//                    connection is closed
//   Other errno names may come from the system (the message says what failed).
//   memdomainctl (ctl/main.cpp) exits 2 for ENOENT, 4 for EPERM and EACCES,
//   5 for EBUSY, 6 for EEXIST, 1 for any other code, 3 when it cannot reach
//   the server.
//
// Limits. A line longer than kMaxRequestLine bytes, or a client that lets
// more than kMaxPendingReply bytes of replies pile up unread, is
// disconnected; at most kMaxControlClients are served at once. Every such
// disconnect is logged. Connections to the control socket are never peers
// of any domain and hold no domain resource. Every changing verb is logged
// with the client's pid and uid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace memdomain::control {

inline constexpr int kControlProtocolVersion = 1;
inline constexpr std::size_t kMaxRequestLine = 64 * 1024;
inline constexpr std::size_t kMaxPendingReply = 1024 * 1024;
inline constexpr std::size_t kMaxControlClients = 64;

// {"v":1,"ok":true,"result":result}
nlohmann::json ok_reply(nlohmann::json result);
// {"v":1,"ok":false,"error":{"code":code,"message":message}}
nlohmann::json error_reply(std::string_view code, std::string message);
// One request or reply as it goes on the wire: compact JSON, the envelope's
// keys first ("v", "ok", ...), and '\n'. Invalid UTF-8 in strings (a name a
// client made up) is replaced, never a throw.
std::string encode_line(const nlohmann::json& message);
// {"v":1,"progress":{"done":done,"total":total}}
nlohmann::json progress_line(std::uint64_t done, std::uint64_t total);
// True for a progress line (an object without "ok" that has "progress").
bool is_progress_line(const nlohmann::json& message);
// "EEXIST" for EEXIST: the code a reply carries for a system error number
// ("EIO" when the number has no name).
std::string errno_code(int err);

}  // namespace memdomain::control
