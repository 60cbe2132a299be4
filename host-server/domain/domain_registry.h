// Every domain the server runs, by name. Built from the config at start-up
// (all or nothing: checked against the hugepage pools first), then changed
// by the control plane (create, destroy, grant, revoke) and by SIGHUP
// (reload). Memory handed back by the fd store after a restart is adopted
// here (adoption.h). The registry's jobs live in files of their own:
// config_checks (what is checked before anything is created), adoption,
// registry_state and store_names (what the fd store holds),
// registry_create (runtime create on a worker thread), registry_access
// (admin rights, grant, revoke), registry_reload (SIGHUP).
//
// Adoption rules (a restart after a crash or an upgrade):
// - Stored segments are grouped by generation into instances and matched to
//   the config's domain of the same name. The stored memory always wins: if
//   the config now describes a different geometry (segments, sizes, page
//   classes, vectors, max_peers), the domain keeps the stored one and a
//   warning says to destroy it to apply the new one. Nothing stored is lost.
// - Domains created at runtime (control plane) are remembered in the fd
//   store too (a small state memfd, "md.state.<seq>": their config text), so they
//   come back with their access rules.
// - Stored memory no domain claims is served as an "adopted" domain with the
//   default access policy (root and the server's user), until destroyed.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "domain/config_checks.h"
#include "io/event_loop.h"
#include "domain/served_domain.h"
#include "memdomain/common/result.h"
#include "memdomain/sys/socket.h"
#include "persist/inherited_fds.h"

namespace memdomain::server {

struct RegistryOptions {
    std::string socket_dir;
    mode_t socket_mode = 0660;  // for domains whose config has no socket mode
    ServerLimits limits;        // listen backlog and queue limit come from the config's server block
    persist::FdStore* store = nullptr;
    const placement::NumaTopology* topology = nullptr;
    InstanceMemoryOptions memory;
};

// A lease that release() dropped, and the peers that went with it.
struct ReleasedLease {
    std::string domain;
    std::size_t disconnected = 0;
};

// What a reload did, for the log and the control plane.
struct ReloadReport {
    std::vector<std::string> added, removed, updated, kept;  // kept: removed from the file but in use
    std::vector<std::string> applied;   // each setting changed: "Name: grace 30000 ms -> 0 ms", "server: ..."
    std::vector<std::string> warnings;  // each one names the domain (or "server") and the key
};

class DomainRegistry {
public:
    // Creates and starts every domain of `cfg`, adopting `inherited` memory,
    // or none: on error, whatever was created is released again.
    static Result<std::unique_ptr<DomainRegistry>> create(const config::Config& cfg, const RegistryOptions& opt,
                                                          EventLoop& loop, std::vector<persist::InheritedFd> inherited = {});
    ~DomainRegistry();

    using Domains = std::map<std::string, std::unique_ptr<ServedDomain>, std::less<>>;
    const Domains& domains() const { return domains_; }
    const ServedDomain* find(std::string_view name) const;
    const config::ServerConfig& server_config() const { return server_; }
    // Names being created right now (create in progress).
    bool pending(std::string_view name) const;

    // May this client change domains? Root, or a member of admin_group.
    bool may_administer(const sys::PeerCredentials& cred, const std::vector<gid_t>& groups) const;

    // Runtime create: the same checks as the config (name free, pools,
    // principals), then the instances are created and prefaulted on a
    // worker thread; `progress(done, total)` is called on the loop thread
    // every ~100 ms while that runs, and `done` once at the end, also on the
    // loop thread. Returns at once; an error here means nothing started.
    using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;
    using Done = std::function<void(Status)>;
    Status create_domain(config::DomainConfig d, std::string text, Progress progress, Done done);
    // Destroys a domain: EBUSY while peers are attached unless `force`
    // (then they are disconnected; their own mappings stay valid until they
    // unmap). The memory leaves the fd store and returns to its pool once
    // no mapping is left. Returns the peers disconnected.
    Result<std::size_t> destroy_domain(std::string_view name, bool force);
    // Adds or replaces one access entry / removes one; returns the peers
    // disconnected because the new rules no longer admit them.
    Result<std::size_t> grant(std::string_view name, const config::AclEntry& entry);
    // Revoking a vm principal drops its lease too.
    Result<std::size_t> revoke(std::string_view name, config::AclEntry::Kind kind, std::string_view principal);
    // A VM's lease on a domain (ServedDomain::lease: `check` asks that the
    // access block permit it, as the libvirt hook does); returns the peers
    // disconnected.
    Result<std::size_t> lease(std::string_view name, const std::string& vm, SegmentAccess access, bool check);
    // Drops VM `vm`'s leases: on domain `name`, or on every domain.
    std::vector<ReleasedLease> release(std::string_view vm, std::optional<std::string_view> name = std::nullopt);
    // SIGHUP: adds new domains, applies every setting that does not touch
    // memory (registry_reload.cpp has the list), removes domains gone from
    // the file when nobody is attached, never destroys memory in use and
    // never re-creates a domain whose geometry changed (that takes an
    // explicit destroy): one warning per domain names each key it did not
    // apply. Runtime domains and VM leases are left alone.
    ReloadReport reload(const config::Config& cfg);

private:
    DomainRegistry(const RegistryOptions& opt, EventLoop& loop);
    Status start_domain(config::DomainConfig d, DomainOrigin origin, std::vector<std::unique_ptr<DomainInstance>> ready);
    // The state memfd ("md.state.<seq>") in the fd store: runtime domains'
    // text, runtime access changes, and the spec of every stored segment.
    void save_state();
    // save_state() once, after the current loop turn (coalesces bursts).
    void request_save();
    // reload()'s parts: the server block, and one domain of the file that
    // runs already (true when something was applied).
    void reload_server_block(const config::ServerConfig& next, ReloadReport& r);
    bool reload_domain(const config::DomainConfig& d, ServedDomain& served, ReloadReport& r);

    struct PendingCreate;
    RegistryOptions opt_;
    EventLoop& loop_;
    DomainContext ctx_;
    config::ServerConfig server_;
    Domains domains_;
    std::map<std::string, std::string, std::less<>> runtime_texts_;  // runtime domains' config text
    std::map<std::string, std::shared_ptr<PendingCreate>, std::less<>> pending_;
    bool save_requested_ = false;
    std::uint64_t state_sequence_ = 0;       // of the newest state stored
    std::string stored_state_name_;          // what this process stored last
    std::vector<std::string> stale_state_names_;  // older states still in the store, to drop
};

}  // namespace memdomain::server
