#include "domain/domain_registry.h"

#include <filesystem>
#include <set>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "acl/principals.h"
#include "config/config_parser.h"
#include "domain/adoption.h"
#include "domain/config_checks.h"
#include "domain/pending_create.h"
#include "domain/registry_state.h"
#include "domain/store_names.h"
#include "memdomain/common/sizes.h"

namespace memdomain::server {

DomainRegistry::DomainRegistry(const RegistryOptions& opt, EventLoop& loop) : opt_(opt), loop_(loop) {
    ctx_.loop = &loop_;
    ctx_.socket_dir = opt.socket_dir;
    ctx_.default_socket_mode = opt.socket_mode;
    ctx_.limits = opt.limits;
    ctx_.store = opt.store;
    ctx_.topology = opt.topology;
    ctx_.memory = opt.memory;
    ctx_.on_instances_changed = [this] { request_save(); };
}

void DomainRegistry::request_save() {
    if (save_requested_) return;
    save_requested_ = true;
    loop_.defer([this] {
        save_requested_ = false;
        save_state();
    });
}

DomainRegistry::~DomainRegistry() {
    for (auto& [name, p] : pending_) {
        if (p->worker.joinable()) p->worker.join();
        loop_.remove(p->finished_token);
        loop_.remove(p->tick_token);
    }
    domains_.clear();
}

const ServedDomain* DomainRegistry::find(std::string_view name) const {
    auto it = domains_.find(name);
    return it == domains_.end() ? nullptr : it->second.get();
}

bool DomainRegistry::pending(std::string_view name) const { return pending_.find(name) != pending_.end(); }

Status DomainRegistry::start_domain(config::DomainConfig d, DomainOrigin origin,
                                    std::vector<std::unique_ptr<DomainInstance>> ready) {
    const std::string name = d.name;
    MD_ASSIGN_OR_RETURN(auto served, ServedDomain::start(std::move(d), origin, ctx_, std::move(ready)));
    for (std::size_t i = 0; i < served->config().segments.size(); ++i) {
        const auto& sc = served->config().segments[i];
        spdlog::info("domain {}: segment {}/{} {} of {} pages, {}, served at {}", name, i,
                     served->config().segments.size(), format_size(sc.size), format_size(page_size_of(sc.page_class)),
                     sc.access == SegmentAccess::ReadWrite ? "R/W" : "R/O", served->socket_path(i));
    }
    domains_[name] = std::move(served);
    return {};
}

Result<std::unique_ptr<DomainRegistry>> DomainRegistry::create(const config::Config& cfg, const RegistryOptions& opt,
                                                               EventLoop& loop,
                                                               std::vector<persist::InheritedFd> inherited) {
    std::unique_ptr<DomainRegistry> reg(new DomainRegistry(opt, loop));
    reg->server_ = cfg.server;
    reg->ctx_.limits.listen_backlog = static_cast<int>(cfg.server.max_pending_connections);
    reg->ctx_.limits.max_queued_messages = cfg.server.max_queued_messages;
    reg->ctx_.libvirt_run_dir = cfg.server.libvirt_run_dir;

    // 1. What the fd store gave back: the state, and the segments grouped
    // into instances.
    StoredState stored = read_stored_state(inherited);
    const nlohmann::json& state = stored.state;
    reg->state_sequence_ = stored.sequence;
    reg->stored_state_name_ = stored.name;
    reg->stale_state_names_ = std::move(stored.stale_names);
    AdoptedInstances adopted = adopt_stored_segments(inherited, state);

    // 2. The domains: the file's, then the runtime ones the state remembers.
    std::vector<std::pair<config::DomainConfig, DomainOrigin>> all;
    std::set<std::string> names;
    for (const auto& d : cfg.domains) {
        all.push_back({d, DomainOrigin::Config});
        names.insert(d.name);
    }
    if (state.is_object() && state.contains("runtime") && state["runtime"].is_object()) {
        for (const auto& [name, text] : state["runtime"].items()) {
            if (!text.is_string()) continue;
            if (names.count(name)) {
                spdlog::warn("runtime domain {} is now in the config file: the file's definition is used", name);
                continue;
            }
            auto d = config::parse_domain_text(text.get<std::string>(), "runtime domain " + name);
            if (!d) {
                spdlog::error("runtime domain {} cannot be restored: {}", name, d.error().message);
                continue;
            }
            reg->runtime_texts_[name] = text.get<std::string>();
            all.push_back({std::move(d).value(), DomainOrigin::Runtime});
            names.insert(name);
        }
    }
    for (auto& [name, insts] : adopted) {
        if (names.count(name)) continue;
        config::DomainConfig d;
        d.name = name;
        d.where.file = "fd store";
        spdlog::warn("domain {}: memory from the fd store that no config names; served with the default access "
                     "policy until destroyed",
                     name);
        all.push_back({with_stored_geometry(std::move(d), *insts.front()), DomainOrigin::Adopted});
        names.insert(name);
    }

    // 3. Check what will be created anew (adopted memory is not counted
    // twice against the pools), then start everything.
    std::vector<config::DomainConfig> fresh;
    for (auto& [d, origin] : all) {
        MD_TRY(check_domain(d, opt.topology));
        auto it = adopted.find(d.name);
        if (it == adopted.end()) {
            fresh.push_back(d);
            continue;
        }
        if (const auto changes = stored_geometry_changes(d, *it->second.front()); !changes.empty()) {
            spdlog::warn("domain {}: the config describes another geometry than the memory kept from before the "
                         "restart ({}); the kept memory wins (destroy the domain to apply the config)",
                         d.name, fmt::join(changes, ", "));
            d = with_stored_geometry(std::move(d), *it->second.front());
        }
    }
    if (cfg.server.admin_group) MD_TRY(resolve_group(*cfg.server.admin_group, cfg.server.admin_group_where));
    MD_TRY(check_hugepage_pools(fresh, opt.topology));
    warn_unbackable_dynamic(fresh);
    std::error_code ec;
    std::filesystem::create_directories(opt.socket_dir + "/ns", ec);
    if (ec) return make_error("cannot create " + opt.socket_dir + "/ns: " + ec.message(), ec.value());
    for (auto& [d, origin] : all) {
        std::vector<std::unique_ptr<DomainInstance>> ready;
        if (auto it = adopted.find(d.name); it != adopted.end()) {
            ready = std::move(it->second);
            spdlog::info("domain {}: adopted {} instance(s) from the fd store: the memory of before the restart",
                         d.name, ready.size());
        }
        MD_TRY(reg->start_domain(std::move(d), origin, std::move(ready)));
    }
    // 4. Access changed at runtime survives a restart (a reload resets it).
    if (state.is_object() && state.contains("access") && state["access"].is_object())
        for (const auto& [name, acl] : state["access"].items())
            if (auto it = reg->domains_.find(name); it != reg->domains_.end())
                if (auto st = it->second->set_access(access_from_json(acl)); !st)
                    spdlog::warn("domain {}: runtime access rules not restored: {}", name, st.error().message);
    // 5. So do the VMs' leases: the VMs still run.
    if (state.is_object() && state.contains("leases") && state["leases"].is_object())
        for (const auto& [name, leases] : state["leases"].items())
            if (auto it = reg->domains_.find(name); it != reg->domains_.end())
                for (const auto& [vm, access] : leases_from_json(leases))
                    (void)it->second->lease(vm, access, /*check=*/false);
    reg->save_state();
    return reg;
}

void DomainRegistry::save_state() {
    if (opt_.store == nullptr || !opt_.store->enabled()) return;
    nlohmann::json state = {{"v", 1},
                            {"runtime", nlohmann::json::object()},
                            {"access", nlohmann::json::object()},
                            {"leases", nlohmann::json::object()}};
    for (const auto& [name, text] : runtime_texts_) state["runtime"][name] = text;
    for (const auto& [name, d] : domains_)
        if (d->origin() != DomainOrigin::Runtime && d->access_changed())
            state["access"][name] = access_to_json(d->config().access);
    for (const auto& [name, d] : domains_)
        if (!d->leases().empty()) state["leases"][name] = leases_to_json(d->leases());
    state["segments"] = nlohmann::json::object();
    for (const auto& [name, d] : domains_)
        for (const auto& [key, inst] : d->instances()) {
            if (key.kind == InstanceKind::Local) continue;
            for (std::size_t i = 0; i < inst->segment_count(); ++i)
                state["segments"][inst->store_name(i)] = spec_to_json(inst->segment(i).spec());
        }
    // The new state goes in under the next sequence before the old one is
    // dropped: a crash at any moment leaves the old state, the new one, or
    // both (then the newer wins), never none.
    const std::string name = format_state_name(state_sequence_ + 1);
    auto fd = state_memfd(state);
    Status st = fd ? opt_.store->store(name, fd->get()) : Status(std::move(fd).error());
    if (!st) {
        spdlog::warn("cannot save runtime state: {}", st.error().message);
        return;
    }
    ++state_sequence_;
    std::vector<std::string> old = std::move(stale_state_names_);
    stale_state_names_.clear();
    if (!stored_state_name_.empty()) old.push_back(stored_state_name_);
    stored_state_name_ = name;
    for (const auto& n : old)
        if (auto rm = opt_.store->remove(n); !rm) {
            spdlog::warn("cannot drop the previous runtime state {}: {}", n, rm.error().message);
            stale_state_names_.push_back(n);
        }
}

Result<std::size_t> DomainRegistry::destroy_domain(std::string_view name, bool force) {
    if (pending_.count(name)) return make_error("domain '" + std::string(name) + "' is still being created", EBUSY);
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    ServedDomain& d = *it->second;
    const std::size_t peers = d.peer_count();
    if (peers > 0 && !force)
        return make_error("domain '" + std::string(name) + "' has " + std::to_string(peers) +
                              " peer(s) attached; detach them or destroy with force",
                          EBUSY);
    const std::size_t n = d.disconnect_all("the domain is destroyed");
    d.forget_memory();
    spdlog::info("domain {}: destroyed ({} peer(s) disconnected)", name, n);
    auto doomed = std::make_shared<std::unique_ptr<ServedDomain>>(std::move(it->second));
    domains_.erase(it);
    loop_.defer([doomed] { doomed->reset(); });
    runtime_texts_.erase(std::string(name));
    save_state();
    return n;
}

}  // namespace memdomain::server
