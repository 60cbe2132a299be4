// memdomain-bench's results as JSON: one end's (between `pair` and its
// children), and the combined report with the fields scripts rely on:
// test, size, mode, wait, seconds, sent, received, lost, corrupt, mpps,
// gb_per_s, and rtt_ns {min, p50, p99, max} for pingpong.
#pragma once

#include <nlohmann/json.hpp>

#include "memdomain_bench.h"

namespace memdomain::bench {

nlohmann::json end_to_json(const EndResult& r);
EndResult end_from_json(const nlohmann::json& j);

struct Report {
    nlohmann::json json;
    bool ok = false;  // no error, lost == 0 and corrupt == 0
};
// `sender` is tx or ping, `receiver` rx or pong; either may be null when
// this process ran only one end.
Report combine(const BenchOptions& o, const EndResult* sender, const EndResult* receiver);
void print(const Report& r, bool as_json);

}  // namespace memdomain::bench
