#include "domain/domain_registry.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include <spdlog/spdlog.h>

#include "memdomain/common/names.h"
#include "memdomain/common/sizes.h"
#include "acl/principals.h"
#include "memdomain/sys/memory.h"

namespace memdomain::server {
namespace {

Status check_supported(const config::DomainConfig& d) {
    const std::string at = config::to_string(d.where) + ": domain " + d.name + ": ";
    if (d.type != config::DomainType::Shared)
        return make_error(at + "only type = shared is implemented by this server so far", ENOTSUP);
    if (d.policy != config::DomainPolicy::Static)
        return make_error(at + "only policy = static is implemented by this server so far", ENOTSUP);
    return {};
}

// Socket owner, group and mode for a domain: its socket block, else the
// server's user, root's group and the daemon's default mode.
Result<SocketOwnership> socket_ownership(const config::DomainConfig& d, mode_t default_mode) {
    SocketOwnership o{::geteuid(), 0, default_mode};
    if (d.socket.owner) {
        MD_ASSIGN_OR_RETURN(o.uid, resolve_user(*d.socket.owner, d.socket.where));
    }
    if (d.socket.group) {
        MD_ASSIGN_OR_RETURN(o.gid, resolve_group(*d.socket.group, d.socket.where));
    }
    if (d.socket.mode) o.mode = static_cast<mode_t>(*d.socket.mode);
    return o;
}

}  // namespace

Status check_hugepage_pools(const config::Config& cfg) {
    std::map<std::uint64_t, std::uint64_t> needed;  // page size -> pages, cumulative
    for (const auto& d : cfg.domains) {
        for (const auto& s : d.segments) {
            const std::uint64_t ps = page_size_of(s.page_class);
            if (ps == 4 * KiB) continue;
            needed[ps] += s.size / ps;
            auto pool = sys::hugepage_pool(ps);
            if (!pool)
                return make_error(config::to_string(s.where) + ": domain " + d.name + " needs " +
                                      format_size(ps) + " hugepages, but this kernel has no such pool (" +
                                      pool.error().message + ")",
                                  ENOMEM);
            if (needed[ps] > pool->available())
                return make_error(config::to_string(s.where) + ": domain " + d.name + " needs " +
                                      std::to_string(s.size / ps) + " pages of " + format_size(ps) +
                                      (needed[ps] > s.size / ps
                                           ? " (" + std::to_string(needed[ps]) + " with the domains before it)"
                                           : std::string()) +
                                      ", but the pool has " + std::to_string(pool->available()) + " free of " +
                                      std::to_string(pool->total) +
                                      "; raise /sys/kernel/mm/hugepages/hugepages-" +
                                      std::to_string(ps / KiB) + "kB/nr_hugepages",
                                  ENOMEM);
        }
    }
    return {};
}

Status check_config(const config::Config& cfg) {
    for (const auto& d : cfg.domains) {
        MD_TRY(check_supported(d));
        MD_TRY(AccessList::from_config(d.access));
        MD_TRY(socket_ownership(d, 0));
    }
    return check_hugepage_pools(cfg);
}

Result<std::unique_ptr<DomainRegistry>> DomainRegistry::create(const config::Config& cfg,
                                                               const RegistryOptions& opt, EventLoop& loop) {
    MD_TRY(check_config(cfg));
    const std::string ns_dir = opt.socket_dir + "/ns";
    std::error_code ec;
    std::filesystem::create_directories(ns_dir, ec);
    if (ec) return make_error("cannot create " + ns_dir + ": " + ec.message(), ec.value());

    std::unique_ptr<DomainRegistry> reg(new DomainRegistry());
    for (const auto& d : cfg.domains) {
        auto entry = std::make_unique<DomainEntry>();
        entry->config = d;
        MD_ASSIGN_OR_RETURN(entry->acl, AccessList::from_config(d.access));
        MD_ASSIGN_OR_RETURN(const SocketOwnership ownership, socket_ownership(d, opt.socket_mode));
        ServerLimits limits = opt.limits;
        limits.listen_backlog = static_cast<int>(cfg.server.max_pending_connections);
        limits.max_queued_messages = cfg.server.max_queued_messages;
        const auto count = static_cast<std::uint32_t>(d.segments.size());
        const std::uint64_t generation = new_generation();
        for (std::uint32_t i = 0; i < count; ++i) {
            const auto& sc = d.segments[i];
            SegmentSpec spec;
            spec.domain = d.name;
            spec.index = i;
            spec.count = count;
            spec.page_size = page_size_of(sc.page_class);
            spec.size = sc.size;
            spec.access = sc.access;
            spec.vectors = d.vectors;
            spec.max_peers = d.max_peers;
            spec.prefault = d.policy == config::DomainPolicy::Static;
            spec.generation = generation;
            MD_ASSIGN_OR_RETURN(Segment seg, Segment::create(spec));
            SegmentEntry se;
            se.segment = std::make_unique<Segment>(std::move(seg));
            const AccessList* acl = &entry->acl;
            const SegmentAccess cap = sc.access;
            se.server = std::make_unique<DomainServer>(
                *se.segment, domain_socket_path(opt.socket_dir, d.name, i),
                domain_namespace_path(opt.socket_dir, d.name, i), loop,
                [acl, cap](const sys::PeerCredentials& c, const std::vector<gid_t>& groups) {
                    return acl->decide(ClientIdentity{c.uid, c.gid, groups}, cap);
                },
                limits);
            MD_TRY(se.server->start(ownership));
            spdlog::info("domain {}: segment {}/{} {} of {} pages, {}, served at {}", d.name, i, count,
                         format_size(spec.size), format_size(spec.page_size),
                         sc.access == SegmentAccess::ReadWrite ? "R/W" : "R/O", se.server->socket_path());
            entry->segments.push_back(std::move(se));
        }
        reg->domains_.push_back(std::move(entry));
    }
    return reg;
}

DomainRegistry::~DomainRegistry() = default;

}  // namespace memdomain::server
