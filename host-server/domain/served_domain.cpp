#include "domain/served_domain.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "acl/libvirt_vm.h"
#include "acl/principals.h"
#include "memdomain/common/names.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/process.h"
#include "placement/cpu_set.h"
#include "placement/numa_placement.h"

namespace memdomain::server {
namespace {

bool is_qemu(pid_t pid) {
    auto exe = sys::process_executable(pid);
    return exe && exe->substr(exe->rfind('/') + 1).rfind("qemu-system", 0) == 0;
}

}  // namespace

const char* to_string(DomainOrigin o) {
    switch (o) {
        case DomainOrigin::Config: return "config";
        case DomainOrigin::Runtime: return "runtime";
        case DomainOrigin::Adopted: return "adopted";
    }
    return "?";
}

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

ServedDomain::ServedDomain(config::DomainConfig cfg, DomainOrigin origin, DomainContext& ctx, AccessList acl)
    : cfg_(std::move(cfg)), origin_(origin), ctx_(ctx), acl_(std::move(acl)) {}

ServedDomain::~ServedDomain() {
    // Stop accepting first, then drop the instances (their peers are
    // disconnected; their memory stays in the fd store for a successor).
    listeners_.clear();
    for (auto& [fd, l] : lingering_) {
        ctx_.loop->remove(l.watch);
        ctx_.loop->remove(l.timer);
    }
    lingering_.clear();
    for (auto& [key, inst] : instances_)
        if (inst->grace_timer != 0) ctx_.loop->remove(inst->grace_timer);
    instances_.clear();
}

Result<std::unique_ptr<ServedDomain>> ServedDomain::start(config::DomainConfig cfg, DomainOrigin origin,
                                                          DomainContext& ctx,
                                                          std::vector<std::unique_ptr<DomainInstance>> ready) {
    MD_ASSIGN_OR_RETURN(AccessList acl, AccessList::from_config(cfg.access));
    MD_ASSIGN_OR_RETURN(const SocketOwnership ownership, socket_ownership(cfg, ctx.default_socket_mode));
    std::unique_ptr<ServedDomain> d(new ServedDomain(std::move(cfg), origin, ctx, std::move(acl)));
    const config::DomainConfig& c = d->cfg_;
    MD_ASSIGN_OR_RETURN(d->nodes_, domain_numa_nodes(c, ctx.topology));
    for (auto& inst : ready) MD_TRY(d->install(std::move(inst)));
    for (const auto& k : static_instance_keys(c, d->nodes_)) MD_TRY(d->instance(k));
    for (std::size_t i = 0; i < c.segments.size(); ++i) {
        auto l = std::make_unique<Listener>(*ctx.loop, domain_socket_path(ctx.socket_dir, c.name,
                                                                           static_cast<unsigned>(i)));
        ServedDomain* self = d.get();
        MD_TRY(l->start(ctx.limits.listen_backlog, ownership, ctx.limits.accepts_per_wakeup,
                        [self, i](sys::UniqueFd s) { self->accept_connection(i, std::move(s)); }));
        d->listeners_.push_back(std::move(l));
    }
    // Adopted dynamic instances are NOT put on their grace timer: peers from
    // before the restart (QEMU keeps its mapping and never reconnects) may
    // still use them, and this process cannot know. They are kept until a
    // peer attaches and leaves again, or the domain is destroyed.
    for (const auto& [key, inst] : d->instances_)
        if (c.policy == config::DomainPolicy::Dynamic)
            spdlog::info("domain {}: adopted dynamic instance {} is kept until a peer attaches and leaves again "
                         "(peers of before the restart are unknown to this process)",
                         c.name, to_string(key));
    return d;
}

std::string ServedDomain::namespace_path(std::size_t segment) const {
    if (cfg_.type != config::DomainType::Shared) return "";
    return domain_namespace_path(ctx_.socket_dir, cfg_.name, static_cast<unsigned>(segment));
}

std::vector<std::string> ServedDomain::namespace_paths(const InstanceKey& key) const {
    std::vector<std::string> out;
    if (key.kind != InstanceKind::Shared) return out;
    for (std::size_t i = 0; i < cfg_.segments.size(); ++i) out.push_back(namespace_path(i));
    return out;
}

std::size_t ServedDomain::peer_count() const {
    std::size_t n = 0;
    for (const auto& [k, inst] : instances_) n += inst->peer_count();
    return n;
}

void ServedDomain::store(const DomainInstance& inst) {
    if (ctx_.store == nullptr || !ctx_.store->enabled() || inst.key().kind == InstanceKind::Local) return;
    for (std::size_t i = 0; i < inst.segment_count(); ++i)
        if (auto st = ctx_.store->store(inst.store_name(i), inst.segment(i).fd()->get()); !st)
            spdlog::warn("domain {}: cannot keep segment {} in the fd store ({}): it will not survive a restart",
                         cfg_.name, i, st.error().message);
}

void ServedDomain::unstore(const DomainInstance& inst) {
    if (ctx_.store == nullptr || !ctx_.store->enabled() || inst.key().kind == InstanceKind::Local) return;
    for (std::size_t i = 0; i < inst.segment_count(); ++i)
        if (auto st = ctx_.store->remove(inst.store_name(i)); !st)
            spdlog::warn("domain {}: cannot drop segment {} from the fd store: {}", cfg_.name, i, st.error().message);
}

void ServedDomain::forget_memory() {
    for (auto& [key, inst] : instances_) unstore(*inst);
}

Status ServedDomain::install(std::unique_ptr<DomainInstance> inst) {
    const InstanceKey key = inst->key();
    DomainInstance& ref = *inst;
    MD_TRY(ref.serve(*ctx_.loop, ctx_.limits, namespace_paths(key), [this, key] { on_instance_changed(key); }));
    store(ref);
    spdlog::info("domain {}: instance {} ({}, generation {:016x}) {}", cfg_.name, to_string(key),
                 format_size(ref.size()), ref.generation(),
                 cfg_.policy == config::DomainPolicy::Static ? "prefaulted" : "pages fault on first use");
    instances_[key] = std::move(inst);
    if (ctx_.on_instances_changed) ctx_.on_instances_changed();
    return {};
}

Result<DomainInstance*> ServedDomain::instance(const InstanceKey& key) {
    if (auto it = instances_.find(key); it != instances_.end()) return it->second.get();
    MD_ASSIGN_OR_RETURN(auto segments, create_instance_segments(cfg_, key, ctx_.memory));
    MD_TRY(install(std::make_unique<DomainInstance>(key, std::move(segments))));
    return instances_.at(key).get();
}

Result<InstanceKey> ServedDomain::key_for(const sys::PeerCredentials& cred) const {
    switch (cfg_.type) {
        case config::DomainType::Shared: return InstanceKey{InstanceKind::Shared, -1, 0};
        case config::DomainType::Local: return InstanceKey{InstanceKind::Local, -1, cred.pid};
        case config::DomainType::Numa: {
            MD_ASSIGN_OR_RETURN(const placement::CpuSet cpus, placement::process_cpus(cred.pid));
            MD_ASSIGN_OR_RETURN(const int node, placement::node_for_cpus(*ctx_.topology, nodes_, cpus));
            return InstanceKey{InstanceKind::Numa, node, 0};
        }
    }
    return make_error("unknown domain type", EINVAL);
}

std::optional<std::string> ServedDomain::fd_budget_exceeded() const {
    const long limit = sys::open_fd_limit();
    const long open = sys::count_open_fds();
    // Counting takes a descriptor itself: when none is left, that is the answer.
    if (open < 0 && (errno == EMFILE || errno == ENFILE))
        return "the server has no descriptor left to count its descriptors with (RLIMIT_NOFILE " +
               std::to_string(limit) + "); raise LimitNOFILE= (systemd) or ulimit -n";
    if (limit < 0 || open < 0) return std::nullopt;
    // The accepted socket is already counted in `open`: the peer needs its
    // eventfds on top of it.
    const long need = static_cast<long>(cfg_.vectors) + ctx_.fd_reserve;
    if (open + need <= limit) return std::nullopt;
    return "the server holds " + std::to_string(open) + " descriptors of its RLIMIT_NOFILE " + std::to_string(limit) +
           " (a peer costs 1 + vectors = " + std::to_string(cfg_.vectors + 1) + ", " +
           std::to_string(ctx_.fd_reserve) + " are kept in reserve); raise LimitNOFILE= (systemd) or ulimit -n";
}

void ServedDomain::accept_connection(std::size_t segment, sys::UniqueFd sock) {
    const std::string& name = cfg_.name;
    auto cred = sys::peer_credentials(sock.get());
    if (!cred) {
        spdlog::warn("domain {}: refused a connection: its credentials are unreadable: {}", name,
                     cred.error().message);
        DomainServer::refuse(std::move(sock));
        return;
    }
    // Only QEMU needs a refusal to linger (see refuse()); everyone else
    // sees the close at once.
    const bool qemu = is_qemu(cred->pid);
    auto groups = sys::peer_groups(sock.get());
    if (!groups) {
        spdlog::warn("domain {}: refused pid {} uid {}: its groups are unreadable: {}", name, cred->pid, cred->uid,
                     groups.error().message);
        refuse(std::move(sock), qemu);
        return;
    }
    const SegmentAccess cap = cfg_.segments[segment].access;
    const ClientIdentity who = identify(*cred, *groups);
    auto access = acl_.decide(who, cap, leases_);
    if (!access) {
        spdlog::warn("domain {}: refused pid {} uid {} gid {}{}: {}", name, cred->pid, cred->uid, cred->gid,
                     who.vm ? " (libvirt VM '" + *who.vm + "')" : std::string(), access.error().message);
        refuse(std::move(sock), qemu);
        return;
    }
    // QEMU's ivshmem-doorbell always maps the memory read-write, so a
    // read-only fd would only make it fail with a vaguer message.
    if (*access == SegmentAccess::ReadOnly && qemu) {
        const std::string ns = namespace_path(segment);
        spdlog::warn("domain {}: refused pid {} (QEMU): it has a read-only grant, and ivshmem-doorbell maps "
                     "read-write; attach it with -device ivshmem-plain and "
                     "-object memory-backend-file,mem-path={},share=on,readonly=on instead",
                     name, cred->pid, ns.empty() ? "<namespace entry>" : ns);
        refuse(std::move(sock), qemu);
        return;
    }
    if (auto why = fd_budget_exceeded()) {
        spdlog::warn("domain {}: refused pid {} uid {}: {}", name, cred->pid, cred->uid, *why);
        refuse(std::move(sock), qemu);
        return;
    }
    auto key = key_for(*cred);
    if (!key) {
        spdlog::warn("domain {}: refused pid {} uid {}: {}", name, cred->pid, cred->uid, key.error().message);
        refuse(std::move(sock), qemu);
        return;
    }
    auto inst = instance(*key);
    if (!inst) {
        spdlog::error("domain {}: refused pid {}: cannot create instance {}: {}", name, cred->pid, to_string(*key),
                      inst.error().message);
        refuse(std::move(sock), qemu);
        return;
    }
    if ((*inst)->grace_timer != 0) {
        ctx_.loop->remove((*inst)->grace_timer);
        (*inst)->grace_timer = 0;
        spdlog::info("domain {}: instance {} kept: a peer came back within the grace time", name, to_string(*key));
    }
    DomainInstance& target = **inst;
    target.server(segment).admit(std::move(sock), *cred, std::move(groups).value(), *access);
    // A refused admit (ids exhausted, no eventfd) must not leave a fresh or
    // revived instance without peers and without a grace timer.
    if (target.peer_count() == 0) on_instance_changed(*key);
}

void ServedDomain::refuse(sys::UniqueFd sock, bool linger) {
    std::optional<sys::UniqueFd> kept;
    if (linger && lingering_.size() < kMaxLingering)
        if (auto d = sys::duplicate(sock.get())) kept = std::move(d).value();
    DomainServer::refuse(std::move(sock));
    if (!kept) return;  // closed now
    const int fd = kept->get();
    Lingering l{std::move(*kept)};
    // Readable means the client closed (or spoke, which a refused one has no
    // business doing): either way the connection is done.
    auto watch = ctx_.loop->add(fd, EPOLLIN | EPOLLRDHUP, [this, fd](std::uint32_t) { drop_lingering(fd); });
    auto timer = ctx_.loop->add_timer(kRefusalLinger, [this, fd] { drop_lingering(fd); });
    if (!watch || !timer) {
        if (watch) ctx_.loop->remove(*watch);
        if (timer) ctx_.loop->remove(*timer);
        return;
    }
    l.watch = *watch;
    l.timer = *timer;
    lingering_[fd] = std::move(l);
}

void ServedDomain::drop_lingering(int fd) {
    auto it = lingering_.find(fd);
    if (it == lingering_.end()) return;
    ctx_.loop->remove(it->second.watch);
    ctx_.loop->remove(it->second.timer);
    lingering_.erase(it);
}

void ServedDomain::on_instance_changed(const InstanceKey& key) {
    auto it = instances_.find(key);
    if (it == instances_.end() || it->second->peer_count() > 0) return;
    DomainInstance& inst = *it->second;
    if (key.kind == InstanceKind::Local) {
        free_instance(key, "its process detached");
        return;
    }
    if (cfg_.policy != config::DomainPolicy::Dynamic || inst.grace_timer != 0) return;
    if (cfg_.grace_ms == 0) {
        free_instance(key, "its last peer left (grace 0)");
        return;
    }
    auto t = ctx_.loop->add_timer(std::chrono::milliseconds(cfg_.grace_ms), [this, key] {
        auto found = instances_.find(key);
        if (found == instances_.end()) return;
        found->second->grace_timer = 0;
        if (found->second->peer_count() == 0)
            free_instance(key, "no peer came back within the grace time of " + std::to_string(cfg_.grace_ms) + " ms");
    });
    if (!t) {
        spdlog::warn("domain {}: no grace timer ({}); freeing instance {} now", cfg_.name, t.error().message,
                     to_string(key));
        free_instance(key, "its last peer left");
        return;
    }
    inst.grace_timer = *t;
}

void ServedDomain::free_instance(const InstanceKey& key, const std::string& why) {
    auto it = instances_.find(key);
    if (it == instances_.end()) return;
    unstore(*it->second);
    if (it->second->grace_timer != 0) ctx_.loop->remove(it->second->grace_timer);
    spdlog::info("domain {}: instance {} freed ({} back): {}", cfg_.name, to_string(key),
                 format_size(it->second->size()), why);
    // Deferred: this may run inside a callback of one of the instance's own
    // servers.
    auto doomed = std::make_shared<std::unique_ptr<DomainInstance>>(std::move(it->second));
    instances_.erase(it);
    ctx_.loop->defer([doomed] { doomed->reset(); });
    if (ctx_.on_instances_changed) ctx_.on_instances_changed();
}

ClientIdentity ServedDomain::identify(const sys::PeerCredentials& cred, std::vector<gid_t> groups) const {
    ClientIdentity who{cred.uid, cred.gid, std::move(groups), std::nullopt};
    VmLookup vm = libvirt_vm_of(cred.pid, ctx_.libvirt_run_dir);
    if (!vm.note.empty())
        spdlog::warn("domain {}: pid {} is not taken for a libvirt VM: {}", cfg_.name, cred.pid, vm.note);
    who.vm = std::move(vm.vm);
    return who;
}

std::size_t ServedDomain::disconnect_unadmitted(const std::string& why) {
    std::size_t n = 0;
    for (auto& [key, inst] : instances_) {
        for (std::size_t i = 0; i < inst->segment_count(); ++i) {
            const SegmentAccess cap = cfg_.segments[i].access;
            n += inst->server(i).disconnect_if(
                [&](const PeerInfo& p) {
                    auto now = acl_.decide(identify(p.cred, p.groups), cap, leases_);
                    return !now || (p.access == SegmentAccess::ReadWrite && *now != SegmentAccess::ReadWrite);
                },
                why);
        }
    }
    return n;
}

Result<std::size_t> ServedDomain::set_access(std::optional<std::vector<config::AclEntry>> access, bool runtime) {
    MD_ASSIGN_OR_RETURN(AccessList acl, AccessList::from_config(access));
    acl_ = std::move(acl);
    access_changed_ = runtime;
    cfg_.access = std::move(access);
    return disconnect_unadmitted("its grant was revoked");
}

Result<std::size_t> ServedDomain::lease(const std::string& vm, SegmentAccess access, bool check) {
    if (check) {
        const auto permitted = acl_.vm_permission(vm);
        if (!permitted)
            return make_error("domain '" + cfg_.name + "' permits VM '" + vm + "' nothing: its access block has no 'vm " +
                                  vm + "' or 'vm *' entry (memdomainctl grant " + cfg_.name + " vm " + vm +
                                  " R/W, or add one to the config)",
                              EACCES);
        if (access == SegmentAccess::ReadWrite && *permitted != SegmentAccess::ReadWrite)
            return make_error("domain '" + cfg_.name + "' permits VM '" + vm +
                                  "' read-only access, and an ivshmem-doorbell device maps the memory read-write "
                                  "(attach it read-only: memdomainctl libvirt-xml " + cfg_.name + " --readonly)",
                              EACCES);
    }
    leases_[vm] = access;
    return disconnect_unadmitted("its lease was narrowed");
}

std::optional<SegmentAccess> ServedDomain::vm_grant(std::string_view vm) const {
    std::optional<SegmentAccess> best = acl_.vm_permission(vm);
    if (auto it = leases_.find(vm); it != leases_.end() && (!best || it->second == SegmentAccess::ReadWrite))
        best = it->second;
    return best;
}

std::optional<std::size_t> ServedDomain::release(std::string_view vm) {
    auto it = leases_.find(vm);
    if (it == leases_.end()) return std::nullopt;
    leases_.erase(it);
    return disconnect_unadmitted("its lease was released");
}

Status ServedDomain::set_socket(const config::SocketConfig& socket) {
    config::DomainConfig next = cfg_;
    next.socket = socket;
    MD_ASSIGN_OR_RETURN(const SocketOwnership o, socket_ownership(next, ctx_.default_socket_mode));
    for (const auto& l : listeners_) {
        MD_TRY(sys::set_owner(l->path(), o.uid, o.gid));
        MD_TRY(sys::set_mode(l->path(), o.mode));
    }
    cfg_.socket = socket;
    return {};
}

void ServedDomain::set_grace(std::uint64_t grace_ms) {
    cfg_.grace_ms = grace_ms;
    std::vector<InstanceKey> waiting;
    for (auto& [key, inst] : instances_) {
        if (inst->grace_timer == 0) continue;
        ctx_.loop->remove(inst->grace_timer);
        inst->grace_timer = 0;
        waiting.push_back(key);
    }
    for (const auto& key : waiting) on_instance_changed(key);
}

Status ServedDomain::set_cpualias(const std::string& cpualias) {
    if (cfg_.type == config::DomainType::Numa && !instances_.empty())
        return make_error(std::to_string(instances_.size()) + " instance(s) exist on nodes the old cpualias chose",
                          EBUSY);
    config::DomainConfig next = cfg_;
    next.cpualias = cpualias;
    MD_ASSIGN_OR_RETURN(std::vector<int> nodes, domain_numa_nodes(next, ctx_.topology));
    cfg_.cpualias = cpualias;
    nodes_ = std::move(nodes);
    return {};
}

Status ServedDomain::apply_limits() {
    for (auto& [key, inst] : instances_)
        for (std::size_t i = 0; i < inst->segment_count(); ++i)
            inst->server(i).set_max_queued_messages(ctx_.limits.max_queued_messages);
    for (const auto& l : listeners_) MD_TRY(l->set_backlog(ctx_.limits.listen_backlog));
    return {};
}

std::size_t ServedDomain::disconnect_all(const std::string& why) {
    std::size_t n = 0;
    for (auto& [key, inst] : instances_)
        for (std::size_t i = 0; i < inst->segment_count(); ++i)
            n += inst->server(i).disconnect_if([](const PeerInfo&) { return true; }, why);
    return n;
}

}  // namespace memdomain::server
