// Every domain the server runs: built from the config, checked against the
// hugepage pool before anything is created (all or nothing), each segment
// served by its own DomainServer on "<dir>/<name>.sock" (segment 0) or
// "<dir>/<name>@<i>.sock" (segment i of a multi-segment domain).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "acl/acl.h"
#include "config/config.h"
#include "daemon/event_loop.h"
#include "domain/segment.h"
#include "memdomain/common/result.h"
#include "protocol/domain_server.h"

namespace memdomain::server {

struct RegistryOptions {
    std::string socket_dir;
    mode_t socket_mode = 0660;  // for domains whose config has no socket mode
    ServerLimits limits;        // listen backlog and queue limit come from the config's server block
};

// Pages each hugepage size needs for `cfg`, checked against the pools. The
// error names the domain that does not fit, the pages it needs and the pages
// free. 4K segments are not checked (ordinary memory).
Status check_hugepage_pools(const config::Config& cfg);

// Everything that can be checked without creating anything: the features
// this server implements, user and group names (ACLs, socket owners), the
// hugepage pools. Errors name FILE:LINE:COL. What --check-config runs.
Status check_config(const config::Config& cfg);

class DomainRegistry {
public:
    // Creates and starts every domain of `cfg`, or none: on error, whatever
    // was created is released again and the error says what failed.
    static Result<std::unique_ptr<DomainRegistry>> create(const config::Config& cfg, const RegistryOptions& opt,
                                                          EventLoop& loop);
    ~DomainRegistry();

    struct SegmentEntry {
        std::unique_ptr<Segment> segment;
        std::unique_ptr<DomainServer> server;
    };
    struct DomainEntry {
        config::DomainConfig config;
        AccessList acl;
        std::vector<SegmentEntry> segments;
    };
    const std::vector<std::unique_ptr<DomainEntry>>& domains() const { return domains_; }

private:
    DomainRegistry() = default;
    std::vector<std::unique_ptr<DomainEntry>> domains_;
};

}  // namespace memdomain::server
