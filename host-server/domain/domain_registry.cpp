#include "domain/domain_registry.h"

#include <unistd.h>

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "acl/principals.h"
#include "config/config_parser.h"
#include "placement/hugepage_pools.h"
#include "memdomain/common/names.h"
#include "memdomain/common/sizes.h"
#include "memdomain/sys/eventfd.h"
#include "memdomain/sys/memory.h"

namespace memdomain::server {
namespace {

constexpr const char* kStateName = "md.state";

// How many instances policy = static creates at start-up (a numa domain
// whose nodes cannot be known yet counts as one: check_domain reports it).
std::size_t static_instances(const config::DomainConfig& d, const placement::NumaTopology* topology) {
    auto nodes = domain_numa_nodes(d, topology);
    return static_instance_keys(d, nodes ? *nodes : std::vector<int>{0}).size();
}

config::DomainType type_of(InstanceKind k) {
    switch (k) {
        case InstanceKind::Shared: return config::DomainType::Shared;
        case InstanceKind::Local: return config::DomainType::Local;
        case InstanceKind::Numa: return config::DomainType::Numa;
    }
    return config::DomainType::Shared;
}

// The geometry the stored memory of `inst` has, on top of `base` (name,
// access, socket, ... stay).
config::DomainConfig with_stored_geometry(config::DomainConfig base, const DomainInstance& inst) {
    const SegmentSpec& s0 = inst.segment(0).spec();
    base.type = type_of(s0.kind);
    base.policy = s0.prefault ? config::DomainPolicy::Static : config::DomainPolicy::Dynamic;
    base.vectors = s0.vectors;
    base.max_peers = s0.max_peers;
    base.contiguous = s0.contiguous;
    base.vaddr = s0.map_address != 0 ? std::optional<std::uint64_t>(s0.map_address) : std::nullopt;
    base.segments.clear();
    for (std::size_t i = 0; i < inst.segment_count(); ++i) {
        const SegmentSpec& s = inst.segment(i).spec();
        config::SegmentConfig sc;
        sc.page_class = s.page_size == 4 * KiB ? PageClass::k4K
                        : s.page_size == 2 * MiB ? PageClass::k2M
                                                 : PageClass::k1G;
        sc.size = s.size;
        sc.access = s.access;
        sc.where = base.where;
        base.segments.push_back(sc);
    }
    return base;
}

// Does stored memory fit what the config says? (Only what the memory
// itself records.)
bool geometry_matches(const config::DomainConfig& d, const DomainInstance& inst) {
    const SegmentSpec& s0 = inst.segment(0).spec();
    if (type_of(s0.kind) != d.type || s0.vectors != d.vectors || s0.max_peers != d.max_peers ||
        inst.segment_count() != d.segments.size() || s0.contiguous != d.contiguous)
        return false;
    const auto addresses = segment_map_addresses(d);
    for (std::size_t i = 0; i < d.segments.size(); ++i) {
        const SegmentSpec& s = inst.segment(i).spec();
        if (s.page_size != page_size_of(d.segments[i].page_class) || s.size != d.segments[i].size ||
            s.access != d.segments[i].access || s.map_address != addresses[i])
            return false;
    }
    return true;
}

bool same_geometry(const config::DomainConfig& a, const config::DomainConfig& b) {
    if (a.type != b.type || a.policy != b.policy || a.cpualias != b.cpualias || a.vectors != b.vectors ||
        a.max_peers != b.max_peers || a.contiguous != b.contiguous || a.vaddr != b.vaddr ||
        a.segments.size() != b.segments.size())
        return false;
    for (std::size_t i = 0; i < a.segments.size(); ++i)
        if (a.segments[i].page_class != b.segments[i].page_class || a.segments[i].size != b.segments[i].size ||
            a.segments[i].access != b.segments[i].access)
            return false;
    return true;
}

bool same_access(const std::optional<std::vector<config::AclEntry>>& a,
                 const std::optional<std::vector<config::AclEntry>>& b) {
    if (a.has_value() != b.has_value()) return false;
    if (!a) return true;
    if (a->size() != b->size()) return false;
    for (std::size_t i = 0; i < a->size(); ++i)
        if ((*a)[i].kind != (*b)[i].kind || (*a)[i].principal != (*b)[i].principal || (*a)[i].access != (*b)[i].access)
            return false;
    return true;
}

bool same_socket(const config::SocketConfig& a, const config::SocketConfig& b) {
    return a.owner == b.owner && a.group == b.group && a.mode == b.mode;
}

nlohmann::json access_to_json(const std::optional<std::vector<config::AclEntry>>& access) {
    if (!access) return nullptr;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *access)
        out.push_back({{"kind", e.kind == config::AclEntry::Kind::User ? "user" : "group"},
                       {"principal", e.principal},
                       {"access", e.access == SegmentAccess::ReadWrite ? "R/W" : "R/O"}});
    return out;
}

std::optional<std::vector<config::AclEntry>> access_from_json(const nlohmann::json& j) {
    if (!j.is_array()) return std::nullopt;
    std::vector<config::AclEntry> out;
    for (const auto& e : j) {
        if (!e.is_object() || !e.contains("kind") || !e.contains("principal") || !e.contains("access")) continue;
        config::AclEntry a;
        a.kind = e["kind"] == "group" ? config::AclEntry::Kind::Group : config::AclEntry::Kind::User;
        a.principal = e["principal"].get<std::string>();
        a.access = e["access"] == "R/W" ? SegmentAccess::ReadWrite : SegmentAccess::ReadOnly;
        a.where.file = "control";
        out.push_back(std::move(a));
    }
    return out;
}

nlohmann::json spec_to_json(const SegmentSpec& s) {
    return {{"domain", s.domain},         {"index", s.index},
            {"count", s.count},           {"page_size", s.page_size},
            {"size", s.size},             {"access", static_cast<std::uint32_t>(s.access)},
            {"vectors", s.vectors},       {"max_peers", s.max_peers},
            {"prefault", s.prefault},     {"generation", s.generation},
            {"map_address", s.map_address}, {"kind", static_cast<std::uint32_t>(s.kind)},
            {"numa_node", s.numa_node},   {"contiguous", s.contiguous}};
}

std::optional<SegmentSpec> spec_from_json(const nlohmann::json& j) {
    if (!j.is_object()) return std::nullopt;
    try {
        SegmentSpec s;
        s.domain = j.at("domain").get<std::string>();
        s.index = j.at("index").get<std::uint32_t>();
        s.count = j.at("count").get<std::uint32_t>();
        s.page_size = j.at("page_size").get<std::uint64_t>();
        s.size = j.at("size").get<std::uint64_t>();
        s.access = static_cast<SegmentAccess>(j.at("access").get<std::uint32_t>());
        s.vectors = j.at("vectors").get<std::uint32_t>();
        s.max_peers = j.at("max_peers").get<std::uint32_t>();
        s.prefault = j.at("prefault").get<bool>();
        s.generation = j.at("generation").get<std::uint64_t>();
        s.map_address = j.at("map_address").get<std::uint64_t>();
        s.kind = static_cast<InstanceKind>(j.at("kind").get<std::uint32_t>());
        s.numa_node = j.at("numa_node").get<std::int32_t>();
        s.contiguous = j.at("contiguous").get<bool>();
        // The record is ours, but check it as strictly as a header: write
        // one from it and validate that.
        auto g = segment_geometry(header_spec(s));
        if (!g) return std::nullopt;
        std::vector<std::byte> scratch(g->data_offset);
        if (!write_segment_header(scratch.data(), header_spec(s))) return std::nullopt;
        if (!validate_segment_header(scratch.data(), s.size)) return std::nullopt;
        return s;
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;
    }
}

// "md.<16 hex>.<index>.<domain>" -> (generation, index, domain).
struct StoreName {
    std::uint64_t generation = 0;
    std::uint32_t index = 0;
    std::string domain;
};
std::optional<StoreName> parse_store_name(const std::string& n) {
    if (n.size() < 3 + 16 + 1 + 1 + 1 + 1 || n.compare(0, 3, "md.") != 0 || n[19] != '.') return std::nullopt;
    StoreName out;
    const std::string hex = n.substr(3, 16);
    if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    out.generation = std::stoull(hex, nullptr, 16);
    const std::size_t dot = n.find('.', 20);
    if (dot == std::string::npos || dot == 20 || dot - 20 > 2) return std::nullopt;
    const std::string idx = n.substr(20, dot - 20);
    if (idx.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    out.index = static_cast<std::uint32_t>(std::stoul(idx));
    out.domain = n.substr(dot + 1);
    if (!validate_domain_name(out.domain)) return std::nullopt;
    return out;
}

Result<std::string> read_whole(int fd) {
    MD_ASSIGN_OR_RETURN(const std::uint64_t size, sys::fd_size(fd));
    if (size == 0) return std::string();
    if (size > 16 * MiB) return make_error("state file too large", EFBIG);
    MD_ASSIGN_OR_RETURN(auto m, sys::map_shared(fd, size, sys::Protection::ReadOnly));
    return std::string(reinterpret_cast<const char*>(m.data()), size);
}

// An instance's segments adopted from the store, by generation.
struct AdoptedGroup {
    std::string domain;
    std::map<std::uint32_t, Segment> segments;
    std::uint32_t count = 0;
};

}  // namespace

struct DomainRegistry::PendingCreate {
    config::DomainConfig config;
    std::string text;
    std::vector<InstanceKey> keys;
    std::atomic<std::uint64_t> done_bytes{0};
    std::uint64_t total_bytes = 0;
    std::thread worker;
    sys::UniqueFd finished;  // eventfd the worker rings
    EventLoop::Token finished_token = 0, tick_token = 0;
    Result<std::vector<std::vector<Segment>>> result = make_error("not finished", EINPROGRESS);
    Progress progress;
    Done done;
};

Status check_hugepage_pools(const std::vector<config::DomainConfig>& domains, const placement::NumaTopology* topology) {
    std::map<std::uint64_t, std::uint64_t> needed;  // page size -> pages, cumulative
    for (const auto& d : domains) {
        const std::size_t copies = static_instances(d, topology);
        if (copies == 0) continue;
        for (const auto& s : d.segments) {
            const std::uint64_t ps = page_size_of(s.page_class);
            if (ps == 4 * KiB) continue;
            const std::uint64_t pages = s.size / ps * copies;
            needed[ps] += pages;
            if (auto why = placement::hugepage_shortage(ps, needed[ps]); !why.empty())
                return make_error(config::to_string(s.where) + ": domain " + d.name + " needs " +
                                      std::to_string(pages) + " pages of " + format_size(ps) +
                                      (copies > 1 ? " (" + std::to_string(copies) + " NUMA instances)" : std::string()) +
                                      (needed[ps] > pages ? " (" + std::to_string(needed[ps]) +
                                                                " with the domains before it)"
                                                          : std::string()) +
                                      ", but " + why,
                                  ENOMEM);
        }
    }
    return {};
}

namespace {

Status check_domain(const config::DomainConfig& d, const placement::NumaTopology* topology) {
    MD_TRY(AccessList::from_config(d.access));
    MD_TRY(socket_ownership(d, 0));
    MD_TRY(domain_numa_nodes(d, topology));
    if (d.contiguous && ::geteuid() != 0)
        return make_error(config::to_string(d.where) + ": domain " + d.name +
                              ": contiguous = yes is checked through /proc/self/pagemap, which shows physical "
                              "addresses only to root (CAP_SYS_ADMIN)",
                          EPERM);
    return {};
}

}  // namespace

namespace {

// Dynamic and local instances are made on attach, so they are not held
// against the free pages at start-up; a pool that can never hold one is
// still worth a warning.
void warn_unbackable_dynamic(const std::vector<config::DomainConfig>& domains) {
    for (const auto& d : domains) {
        if (d.policy != config::DomainPolicy::Dynamic && d.type != config::DomainType::Local) continue;
        for (const auto& s : d.segments) {
            const std::uint64_t ps = page_size_of(s.page_class);
            if (ps == 4 * KiB) continue;
            if (!placement::hugepage_pool_exists(ps)) {
                spdlog::warn("{}: domain {}: {}: every attach will be refused", config::to_string(s.where), d.name,
                             placement::hugepage_shortage(ps, s.size / ps));
                continue;
            }
            auto pool = sys::hugepage_pool(ps);
            const std::uint64_t total = pool ? pool->total : 0;
            if (total < s.size / ps)
                spdlog::warn("{}: domain {} needs {} pages of {} per instance, but the pool has {} in total: every "
                             "attach will be refused until /sys/kernel/mm/hugepages/hugepages-{}kB/nr_hugepages grows",
                             config::to_string(s.where), d.name, s.size / ps, format_size(ps), total, ps / KiB);
        }
    }
}

}  // namespace

Status check_config(const config::Config& cfg, const placement::NumaTopology* topology) {
    for (const auto& d : cfg.domains) MD_TRY(check_domain(d, topology));
    if (cfg.server.admin_group) MD_TRY(resolve_group(*cfg.server.admin_group, cfg.server.admin_group_where));
    return check_hugepage_pools(cfg.domains, topology);
}

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

bool DomainRegistry::may_administer(const sys::PeerCredentials& cred, const std::vector<gid_t>& groups) const {
    if (cred.uid == 0) return true;
    if (!server_.admin_group) return false;
    auto gid = resolve_group(*server_.admin_group, server_.admin_group_where);
    if (!gid) return false;
    return cred.gid == *gid || std::find(groups.begin(), groups.end(), *gid) != groups.end();
}

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

    // 1. What the fd store gave back: segments by generation, and the state.
    std::map<std::uint64_t, AdoptedGroup> groups;
    nlohmann::json state;
    for (auto& f : inherited) {
        if (f.name != kStateName) continue;
        auto text = read_whole(f.fd.get());
        if (text) state = nlohmann::json::parse(*text, nullptr, false);
        if (!text || state.is_discarded() || !state.is_object()) {
            spdlog::warn("fd store: unreadable {}; runtime domains and segment records are lost", kStateName);
            state = nlohmann::json::object();
        }
    }
    for (auto& f : inherited) {
        if (f.name == kStateName) continue;
        const auto id = parse_store_name(f.name);
        if (!id) {
            spdlog::warn("fd store: ignoring unknown descriptor '{}'", f.name);
            continue;
        }
        std::optional<SegmentSpec> recorded;
        if (state.contains("segments") && state["segments"].contains(f.name))
            recorded = spec_from_json(state["segments"][f.name]);
        std::string tampered;
        auto seg = Segment::adopt(std::move(f.fd), recorded ? &*recorded : nullptr, &tampered);
        if (!seg) {
            spdlog::error("fd store: '{}' is not a usable segment ({}); left alone", f.name, seg.error().message);
            continue;
        }
        if (!tampered.empty())
            spdlog::warn("fd store: '{}': {}; restored from the server's record", f.name, tampered);
        if (seg->spec().domain != id->domain || seg->generation() != id->generation || seg->spec().index != id->index) {
            spdlog::error("fd store: '{}' holds a segment whose header says domain {} generation {:016x} segment {} "
                          "(changed by a peer while no server watched?); not served",
                          f.name, seg->spec().domain, seg->generation(), seg->spec().index);
            continue;
        }
        AdoptedGroup& g = groups[seg->generation()];
        g.domain = seg->spec().domain;
        g.count = seg->spec().count;
        const std::uint32_t index = seg->spec().index;
        g.segments.emplace(index, std::move(seg).value());
    }
    std::map<std::string, std::vector<std::unique_ptr<DomainInstance>>> adopted;
    for (auto& [gen, g] : groups) {
        bool consistent = true;
        for (const auto& [i, s] : g.segments)
            consistent &= s.spec().count == g.count && s.spec().domain == g.domain;
        if (!consistent || g.segments.size() != g.count) {
            spdlog::error("fd store: domain {} generation {:016x} has {} of its {} segments; not served", g.domain,
                          gen, g.segments.size(), g.count);
            continue;
        }
        std::vector<Segment> segs;
        for (auto& [i, s] : g.segments) segs.push_back(std::move(s));
        const SegmentSpec& s0 = segs.front().spec();
        InstanceKey key{s0.kind, s0.kind == InstanceKind::Numa ? s0.numa_node : -1, 0};
        if (key.kind == InstanceKind::Local) continue;  // its process is gone with the old server
        adopted[g.domain].push_back(std::make_unique<DomainInstance>(key, std::move(segs)));
    }

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
        if (!geometry_matches(d, *it->second.front())) {
            spdlog::warn("domain {}: the config describes another geometry than the memory kept from before the "
                         "restart; the kept memory wins (destroy the domain to apply the config)",
                         d.name);
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
    reg->save_state();
    return reg;
}

void DomainRegistry::save_state() {
    if (opt_.store == nullptr || !opt_.store->enabled()) return;
    nlohmann::json state = {{"v", 1}, {"runtime", nlohmann::json::object()}, {"access", nlohmann::json::object()}};
    for (const auto& [name, text] : runtime_texts_) state["runtime"][name] = text;
    for (const auto& [name, d] : domains_)
        if (d->origin() != DomainOrigin::Runtime && d->access_changed())
            state["access"][name] = access_to_json(d->config().access);
    state["segments"] = nlohmann::json::object();
    for (const auto& [name, d] : domains_)
        for (const auto& [key, inst] : d->instances()) {
            if (key.kind == InstanceKind::Local) continue;
            for (std::size_t i = 0; i < inst->segment_count(); ++i)
                state["segments"][inst->store_name(i)] = spec_to_json(inst->segment(i).spec());
        }
    const std::string text = state.dump();
    auto fd = sys::memfd_create("memdomain:state", 4 * KiB);
    if (!fd) {
        spdlog::warn("cannot save runtime state: {}", fd.error().message);
        return;
    }
    auto st = sys::ftruncate(fd->get(), text.size());
    if (st && !text.empty()) {
        auto m = sys::map_shared(fd->get(), text.size(), sys::Protection::ReadWrite);
        if (m)
            std::memcpy(m->data(), text.data(), text.size());
        else
            st = std::move(m).error();
    }
    if (st) st = opt_.store->remove(kStateName);
    if (st) st = opt_.store->store(kStateName, fd->get());
    if (!st) spdlog::warn("cannot save runtime state: {}", st.error().message);
}

Status DomainRegistry::create_domain(config::DomainConfig d, std::string text, Progress progress, Done done) {
    if (domains_.count(d.name) || pending_.count(d.name))
        return make_error("domain '" + d.name + "' already exists", EEXIST);
    MD_TRY(check_domain(d, opt_.topology));
    MD_TRY(check_hugepage_pools({d}, opt_.topology));
    auto p = std::make_shared<PendingCreate>();
    p->config = d;
    p->text = std::move(text);
    p->progress = std::move(progress);
    p->done = std::move(done);
    MD_ASSIGN_OR_RETURN(const std::vector<int> nodes, domain_numa_nodes(d, opt_.topology));
    p->keys = static_instance_keys(d, nodes);
    std::uint64_t one = 0;
    for (const auto& s : d.segments) one += s.size;
    p->total_bytes = one * p->keys.size();
    MD_ASSIGN_OR_RETURN(p->finished, sys::eventfd_create());
    const std::string name = d.name;
    auto finish = [this, name] {
        auto it = pending_.find(name);
        if (it == pending_.end()) return;
        auto pc = it->second;
        pending_.erase(it);
        if (pc->worker.joinable()) pc->worker.join();
        loop_.remove(pc->finished_token);
        loop_.remove(pc->tick_token);
        if (!pc->result) {
            pc->done(std::move(pc->result).error());
            return;
        }
        std::vector<std::unique_ptr<DomainInstance>> ready;
        for (std::size_t i = 0; i < pc->keys.size(); ++i)
            ready.push_back(std::make_unique<DomainInstance>(pc->keys[i], std::move((*pc->result)[i])));
        Status st = start_domain(pc->config, DomainOrigin::Runtime, std::move(ready));
        if (st) {
            runtime_texts_[name] = pc->text;
            save_state();
            spdlog::info("domain {}: created at runtime", name);
        }
        pc->done(std::move(st));
    };
    MD_ASSIGN_OR_RETURN(p->finished_token, loop_.add(p->finished.get(), EPOLLIN, [finish](std::uint32_t) { finish(); }));
    auto tick = loop_.add_timer(
        std::chrono::milliseconds(100),
        [this, name] {
            auto it = pending_.find(name);
            if (it != pending_.end() && it->second->progress)
                it->second->progress(it->second->done_bytes.load(std::memory_order_relaxed), it->second->total_bytes);
        },
        /*periodic=*/true);
    if (!tick) {
        loop_.remove(p->finished_token);
        return std::move(tick).error();
    }
    p->tick_token = *tick;
    pending_[name] = p;
    PendingCreate* raw = p.get();
    InstanceMemoryOptions mem = opt_.memory;
    raw->worker = std::thread([raw, mem] {
        std::vector<std::vector<Segment>> out;
        Status st;
        for (const auto& key : raw->keys) {
            auto segs = create_instance_segments(raw->config, key, mem, &raw->done_bytes);
            if (!segs) {
                st = std::move(segs).error();
                break;
            }
            out.push_back(std::move(segs).value());
        }
        if (st)
            raw->result = std::move(out);
        else
            raw->result = std::move(st).error();
        (void)sys::eventfd_ring(raw->finished.get());
    });
    return {};
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

namespace {

// Does `e` name the same principal as (kind, principal)? Compared by id, so
// "root" and "0" are one user.
bool same_principal(const config::AclEntry& e, config::AclEntry::Kind kind, std::string_view principal) {
    if (e.kind != kind) return false;
    if (e.principal == principal) return true;
    const config::SourceLocation nowhere{"control", 0, 0};
    if (kind == config::AclEntry::Kind::User) {
        auto a = resolve_user(e.principal, nowhere);
        auto b = resolve_user(std::string(principal), nowhere);
        return a && b && *a == *b;
    }
    auto a = resolve_group(e.principal, nowhere);
    auto b = resolve_group(std::string(principal), nowhere);
    return a && b && *a == *b;
}

// The explicit form of the default policy (root and the server's user get
// the segments' access), so a first grant does not lock them out.
std::vector<config::AclEntry> explicit_default() {
    std::vector<config::AclEntry> out;
    for (uid_t u : std::set<uid_t>{0, ::geteuid()}) {
        config::AclEntry e;
        e.kind = config::AclEntry::Kind::User;
        e.principal = std::to_string(u);
        e.access = SegmentAccess::ReadWrite;
        e.where.file = "control";
        out.push_back(e);
    }
    return out;
}

}  // namespace

Result<std::size_t> DomainRegistry::grant(std::string_view name, const config::AclEntry& entry) {
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    std::vector<config::AclEntry> acl = it->second->config().access.value_or(explicit_default());
    acl.erase(std::remove_if(acl.begin(), acl.end(),
                             [&](const config::AclEntry& e) { return same_principal(e, entry.kind, entry.principal); }),
              acl.end());
    acl.push_back(entry);
    MD_ASSIGN_OR_RETURN(const std::size_t n, it->second->set_access(std::move(acl)));
    save_state();
    return n;
}

Result<std::size_t> DomainRegistry::revoke(std::string_view name, config::AclEntry::Kind kind,
                                           std::string_view principal) {
    auto it = domains_.find(name);
    if (it == domains_.end()) return make_error("no domain '" + std::string(name) + "'", ENOENT);
    std::vector<config::AclEntry> acl = it->second->config().access.value_or(explicit_default());
    const auto before = acl.size();
    acl.erase(std::remove_if(acl.begin(), acl.end(),
                             [&](const config::AclEntry& e) { return same_principal(e, kind, principal); }),
              acl.end());
    if (acl.size() == before)
        return make_error("domain '" + std::string(name) + "' grants nothing to " +
                              (kind == config::AclEntry::Kind::User ? "user " : "group ") + std::string(principal),
                          ENOENT);
    MD_ASSIGN_OR_RETURN(const std::size_t n, it->second->set_access(std::move(acl)));
    save_state();
    return n;
}

ReloadReport DomainRegistry::reload(const config::Config& cfg) {
    ReloadReport r;
    server_.admin_group = cfg.server.admin_group;
    server_.admin_group_where = cfg.server.admin_group_where;
    std::set<std::string> in_file;
    for (const auto& d : cfg.domains) {
        in_file.insert(d.name);
        auto it = domains_.find(d.name);
        if (it == domains_.end()) {
            if (pending_.count(d.name)) {
                r.warnings.push_back(d.name + ": being created at runtime; the file's definition is ignored");
                continue;
            }
            Status st = check_domain(d, opt_.topology);
            if (st) st = check_hugepage_pools({d}, opt_.topology);
            if (st) st = start_domain(d, DomainOrigin::Config, {});
            if (st)
                r.added.push_back(d.name);
            else
                r.warnings.push_back(d.name + ": not added: " + st.error().message);
            continue;
        }
        ServedDomain& served = *it->second;
        if (served.origin() == DomainOrigin::Runtime) {
            r.warnings.push_back(d.name + ": created at runtime; the file's definition is ignored until it is destroyed");
            continue;
        }
        bool changed = false;
        if (!same_geometry(d, served.config()))
            r.warnings.push_back(d.name + ": type, policy, segments or limits changed; not applied while the domain "
                                          "exists (destroy it, then reload)");
        if (!same_access(d.access, served.config().access) || served.access_changed()) {
            auto n = served.set_access(d.access, /*runtime=*/false);
            if (!n)
                r.warnings.push_back(d.name + ": access not applied: " + n.error().message);
            else {
                changed = true;
                if (*n > 0) r.warnings.push_back(d.name + ": " + std::to_string(*n) + " peer(s) lost their grant");
            }
        }
        if (!same_socket(d.socket, served.config().socket)) {
            if (auto st = served.set_socket(d.socket); !st)
                r.warnings.push_back(d.name + ": socket block not applied: " + st.error().message);
            else
                changed = true;
        }
        if (changed) r.updated.push_back(d.name);
    }
    std::vector<std::string> gone;
    for (const auto& [name, d] : domains_)
        if (d->origin() == DomainOrigin::Config && !in_file.count(name)) gone.push_back(name);
    for (const auto& name : gone) {
        if (domains_.at(name)->peer_count() > 0) {
            r.kept.push_back(name);
            r.warnings.push_back(name + ": removed from the file but " +
                                 std::to_string(domains_.at(name)->peer_count()) +
                                 " peer(s) are attached; kept (destroy it explicitly)");
            continue;
        }
        (void)destroy_domain(name, false);
        r.removed.push_back(name);
    }
    save_state();
    return r;
}

}  // namespace memdomain::server
