// DomainRegistry::create_domain: a runtime create, checked like the config
// file, whose instances are created and prefaulted on a worker thread while
// the event loop keeps serving, with progress ticks and a completion on the
// loop thread.
#include <sys/epoll.h>

#include <spdlog/spdlog.h>

#include "domain/config_checks.h"
#include "domain/domain_registry.h"
#include "domain/pending_create.h"
#include "memdomain/sys/eventfd.h"

namespace memdomain::server {

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

}  // namespace memdomain::server
