// Who may attach to a domain, decided from the kernel's credentials of the
// connecting socket (SO_PEERCRED uid/gid + SO_PEERGROUPS), never from
// anything a client says.
//
// Rules:
// - No access block: root and the server's own user get the segment's
//   access; everyone else is refused.
// - An access block lists "user U = R/W|R/O" and "group G = R/W|R/O". A
//   client gets the highest right of every entry that matches its uid, its
//   primary gid or one of its supplementary groups; nothing matching means
//   refused. Root is not special once a block exists: grant it explicitly.
// - The segment's own access (size { ... R/O }) caps every grant.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"

namespace memdomain::server {

struct ClientIdentity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // supplementary
};

class AccessList {
public:
    // Resolves user and group names to ids now, so a typo is a config error
    // (FILE:LINE:COL) at start-up, not a surprise at attach time.
    static Result<AccessList> from_config(const std::optional<std::vector<config::AclEntry>>& entries);

    // The access granted (capped by `segment_max`), or an Error that says
    // why not, naming the uid.
    Result<SegmentAccess> decide(const ClientIdentity& who, SegmentAccess segment_max) const;

private:
    struct Entry {
        bool is_group;
        unsigned id;
        SegmentAccess access;
    };
    bool explicit_ = false;
    std::vector<Entry> entries_;
};

}  // namespace memdomain::server
