// A runtime create in progress (DomainRegistry::create_domain): the worker
// thread that creates and prefaults the instances, the eventfd it rings when
// done, the loop's progress timer. Internal to the registry's files.
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "domain/domain_registry.h"

namespace memdomain::server {

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

}  // namespace memdomain::server
