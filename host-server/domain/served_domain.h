// A domain as the server runs it: its config, its access list, one listening
// socket per segment, and its instances. This is where the config's `type`
// and `policy` become behaviour:
//
//   type = shared  one instance for every peer.
//   type = local   one private instance per attaching process (keyed by its
//                  pid: a process opening segments 0..n gets one instance's
//                  segments), freed as soon as its last connection closes.
//   type = numa    one instance per NUMA node that has a CPU of `cpualias`;
//                  a peer gets the instance of the node most of its allowed
//                  CPUs (sched_getaffinity) are on. Memory is mbind()ed to
//                  that node before it is faulted. The pid SO_PEERCRED gives
//                  is the process's (its main thread's affinity decides, not
//                  that of a pinned worker thread that happens to connect).
//   policy = static   shared and numa instances are created and prefaulted
//                     at start-up and live until the domain is destroyed;
//                     a local instance is prefaulted when it is created.
//   policy = dynamic  an instance is created (not prefaulted: pages fault on
//                     first touch) when its first peer attaches, and freed
//                     `grace` after its last peer left, unless one came back.
//
// Who gets in is decided here, per connection, from SO_PEERCRED and
// SO_PEERGROUPS, and for a libvirt VM from libvirt's pid files (acl/acl.h,
// acl/libvirt_vm.h); then the connection goes to the DomainServer of its
// instance's segment. The domain also holds the VMs' leases: grants for one
// run of a VM, apart from the access block (a reload keeps them).
//
// Memory outlives the process: every shared and numa instance's segments go
// to the service manager's fd store (persist/fd_store.h) when they are
// created and leave it when they are freed, so a restarted server adopts
// them. Destroying a ServedDomain object (server shutdown) keeps them there;
// forget_memory() (a destroy) removes them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "acl/acl.h"
#include "config/config.h"
#include "io/event_loop.h"
#include "io/listener.h"
#include "domain/instance.h"
#include "memdomain/common/result.h"
#include "persist/fd_store.h"
#include "placement/numa_topology.h"
#include "protocol/domain_server.h"

namespace memdomain::server {

// What every domain of one server shares.
struct DomainContext {
    EventLoop* loop = nullptr;
    std::string socket_dir;
    mode_t default_socket_mode = 0660;
    ServerLimits limits;
    persist::FdStore* store = nullptr;                  // null: memory does not outlive the process
    const placement::NumaTopology* topology = nullptr;  // for type = numa
    InstanceMemoryOptions memory;
    // Descriptors kept free for the server itself (control clients, new
    // instances): a peer is refused rather than let the server run out.
    long fd_reserve = 32;
    // libvirt's QEMU run directory (acl/libvirt_vm.h): the config's
    // server { libvirt_run_dir }.
    std::string libvirt_run_dir = "/run/libvirt/qemu";
    // Called after an instance was created or freed (the registry saves its
    // state: which stored segment is what).
    std::function<void()> on_instances_changed;
};

// Where a domain came from, for the control plane.
enum class DomainOrigin { Config, Runtime, Adopted };
const char* to_string(DomainOrigin o);

// Socket owner, group and mode for a domain: its socket block, else the
// server's user, root's group and `default_mode`.
Result<SocketOwnership> socket_ownership(const config::DomainConfig& d, mode_t default_mode);

class ServedDomain {
public:
    // Listens on every segment socket and creates the static instances,
    // using the instances in `ready` (adopted from a previous process, or
    // created by a worker thread) instead of making new ones for their keys.
    static Result<std::unique_ptr<ServedDomain>> start(config::DomainConfig cfg, DomainOrigin origin,
                                                        DomainContext& ctx,
                                                        std::vector<std::unique_ptr<DomainInstance>> ready);
    ~ServedDomain();
    ServedDomain(const ServedDomain&) = delete;
    ServedDomain& operator=(const ServedDomain&) = delete;

    // Removes every instance's memory from the fd store (a destroy): the
    // memory is freed when the last mapping of it goes.
    void forget_memory();

    const config::DomainConfig& config() const { return cfg_; }
    DomainOrigin origin() const { return origin_; }
    const std::string& socket_path(std::size_t segment) const { return listeners_[segment]->path(); }
    // The read-only namespace entry of a segment ("" for local and numa
    // domains, which have no single memory to point at).
    std::string namespace_path(std::size_t segment) const;
    const std::map<InstanceKey, std::unique_ptr<DomainInstance>>& instances() const { return instances_; }
    std::size_t peer_count() const;
    // The nodes a numa domain spans (empty for other types).
    const std::vector<int>& nodes() const { return nodes_; }

    // A new access block (nullopt: the default policy). Peers the new rules
    // would not admit with the access they hold are disconnected; returns
    // how many. Their mappings cannot be taken back (the kernel has no such
    // call): QEMU keeps what it mapped until it detaches.
    // `runtime`: the change comes from the control plane (it is remembered
    // across restarts until a reload resets it to the file).
    Result<std::size_t> set_access(std::optional<std::vector<config::AclEntry>> access, bool runtime = true);
    bool access_changed() const { return access_changed_; }
    // Leases (acl.h): `check` asks that the access block permit it ("vm
    // <vm>" or "vm *" with at least `access`: what the libvirt hook leases),
    // EACCES naming what is missing otherwise. A lease replaces the VM's
    // previous one. Returns the peers disconnected (a lease narrowed to R/O).
    Result<std::size_t> lease(const std::string& vm, SegmentAccess access, bool check);
    // Drops VM `vm`'s lease, if any, and disconnects its peers that nothing
    // else admits; nullopt when it had none, else the peers disconnected.
    std::optional<std::size_t> release(std::string_view vm);
    const VmLeases& leases() const { return leases_; }
    // The most VM `vm` may have: its vm entries ("vm <vm>", "vm *") and its
    // lease; nullopt when none.
    std::optional<SegmentAccess> vm_grant(std::string_view vm) const;
    // Applies a new socket block to the socket files (owner, group, mode).
    Status set_socket(const config::SocketConfig& socket);
    // Disconnects every peer of every instance; returns how many.
    std::size_t disconnect_all(const std::string& why);

    // What a reload may change while the domain runs; none of it touches
    // memory. A new grace time applies to every instance waiting on one now
    // (its timer starts again with the new time; 0 frees it at once) and to
    // every later one.
    void set_grace(std::uint64_t grace_ms);
    // A new cpualias: for a numa domain only while it has no instance (the
    // nodes an instance lives on cannot move), EBUSY otherwise, and the
    // error of domain_numa_nodes when no node has those CPUs.
    Status set_cpualias(const std::string& cpualias);
    // The server block's limits (ctx.limits, already changed): the queue
    // limit of every peer, the listen backlog of every socket.
    Status apply_limits();

    // Takes a connection accepted on `segment`'s socket (the listener calls
    // this): credentials from the kernel, the ACL, the instance, then the
    // instance's DomainServer admits it. Whatever refuses it sends the
    // protocol's refusal pair (version 0, id -1) before closing.
    void accept_connection(std::size_t segment, sys::UniqueFd sock);

private:
    ServedDomain(config::DomainConfig cfg, DomainOrigin origin, DomainContext& ctx, AccessList acl);
    // Sends the refusal pair (DomainServer::refuse) and, with `linger` (the
    // client is QEMU), keeps the connection open until the client closes it,
    // for at most kRefusalLinger and at most kMaxLingering at a time; other
    // clients see the close at once. A QEMU that hot-plugs an ivshmem device
    // connects its chardev first and reads only when the device is
    // realized; a socket closed before that makes QEMU 7.2 drop the bytes
    // and read an empty socket forever, its monitor (and libvirt's job on
    // the VM) stuck with it.
    void refuse(sys::UniqueFd sock, bool linger);
    void drop_lingering(int fd);
    // Who is connecting, the libvirt VM included ("" to the log when not one).
    ClientIdentity identify(const sys::PeerCredentials& cred, std::vector<gid_t> groups) const;
    // Disconnects the peers the current rules no longer admit with the
    // access they hold; returns how many.
    std::size_t disconnect_unadmitted(const std::string& why);
    // Why the server cannot take one more peer of this domain, or nothing.
    std::optional<std::string> fd_budget_exceeded() const;
    Result<InstanceKey> key_for(const sys::PeerCredentials& cred) const;
    // The instance for `key`, created (and stored, and served) if missing.
    Result<DomainInstance*> instance(const InstanceKey& key);
    Status install(std::unique_ptr<DomainInstance> inst);
    void on_instance_changed(const InstanceKey& key);
    void free_instance(const InstanceKey& key, const std::string& why);
    std::vector<std::string> namespace_paths(const InstanceKey& key) const;
    void store(const DomainInstance& inst);
    void unstore(const DomainInstance& inst);

    config::DomainConfig cfg_;
    DomainOrigin origin_;
    DomainContext& ctx_;
    AccessList acl_;
    VmLeases leases_;
    std::vector<int> nodes_;
    bool access_changed_ = false;
    std::vector<std::unique_ptr<Listener>> listeners_;
    std::map<InstanceKey, std::unique_ptr<DomainInstance>> instances_;
    struct Lingering {
        sys::UniqueFd sock;
        EventLoop::Token watch = 0, timer = 0;
    };
    std::map<int, Lingering> lingering_;  // by fd
};

inline constexpr std::chrono::seconds kRefusalLinger{30};
inline constexpr std::size_t kMaxLingering = 16;

}  // namespace memdomain::server
