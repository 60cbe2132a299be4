// The control protocol of memdomaind: <socket dir>/control.sock.
//
// Transport. A SOCK_STREAM UNIX socket (mode 0660, owner the server's user,
// group root: whoever may connect may read). Newline-delimited JSON: the
// client writes one request object per line ('\n'-terminated, UTF-8), the
// server writes exactly one reply object per request line, in order. Blank
// lines are ignored (no reply). A client may pipeline several requests, and
// may shut its writing side down after the last one: the server still
// answers every complete line (a last line without '\n' counts as one), then
// closes. Nothing is ever sent unasked.
//
// Request.  {"v":1,"verb":"<verb>"[,"name":"<domain>"]}
//   "v" is the protocol version and must be 1; "verb" picks the operation;
//   "name" is required by the verbs that are about one domain and refused by
//   the others. Any other key is an error (a typo must not be ignored).
//
// Reply.    {"v":1,"ok":true,"result":<object>}
//        or {"v":1,"ok":false,"error":{"code":"<errno name>","message":"..."}}
//   The message already names what it is about ("no domain 'X'").
//
// Verbs (all read-only in this version):
//   list                 {"domains":[{name,type,policy,segments,size,peers}]}
//                        size: bytes of all segments; peers: attachments
//                        summed over the domain's segments.
//   show {name}          {name,type,policy,vectors,max_peers,
//                         acl:{explicit,summary,entries:[{kind,principal,access}]},
//                         segments:[{index,page_size,size,access,socket,
//                                    namespace,generation,
//                                    peers:[{id,pid,uid,gid,access,queued}]}]}
//                        access is "R/W" or "R/O"; queued: messages waiting
//                        in the server for that peer.
//   stats                {pid,uptime_seconds,domains,peers,fds_open,
//                         control_clients,hugepages:[{page_size,total,free,reserved}]}
//   qemu-args {name}     {socket,namespace,size,vectors,
//                         doorbell:[argv...] (null when segment 0 is R/O),
//                         readonly:[argv...]}
//                        QEMU arguments attaching a VM to segment 0, as in
//                        qemu-config/README.md: ivshmem-doorbell on the
//                        socket (read-write, doorbells), or ivshmem-plain on
//                        a read-only memory backend at the namespace entry.
//   libvirt-xml {name}   {xml:"<shmem name='N'>...</shmem>"}
//
// Error codes.
//   EBADMSG          the line is not JSON, or not a JSON object
//   EPROTONOSUPPORT  "v" is not 1 (the reply is still version 1)
//   EINVAL           a missing or unknown verb (the message lists the verbs),
//                    a missing, unexpected or mistyped argument
//   ENOENT           no domain of that name (the message names it)
//   E2BIG            the request line passed kMaxRequestLine: sent, then the
//                    connection is closed
//   EBUSY            kMaxControlClients are connected: sent, then closed
//
// Limits. A line longer than kMaxRequestLine bytes, or a client that lets
// more than kMaxPendingReply bytes of replies pile up unread, is
// disconnected; at most kMaxControlClients are served at once. Every such
// disconnect is logged. Connections to the control socket are never peers
// of any domain and hold no domain resource.
#pragma once

#include <cstddef>
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

}  // namespace memdomain::control
