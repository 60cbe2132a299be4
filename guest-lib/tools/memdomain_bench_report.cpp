// memdomain-bench's results: one end's as JSON (what `pair` children send
// their parent), and the combined report (--json or a human line).
#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "memdomain_bench_report.h"

namespace memdomain::bench {

using nlohmann::json;

json end_to_json(const EndResult& r) {
    return json{{"role", r.role},         {"messages", r.messages}, {"bytes", r.bytes},
                {"corrupt", r.corrupt},   {"announced", r.announced}, {"seconds", r.seconds},
                {"sleeps", r.sleeps},     {"wakeups", r.wakeups},   {"invalid", r.invalid},
                {"rtt_ns", r.rtt_ns},     {"error", r.error}};
}

EndResult end_from_json(const json& j) {
    EndResult r;
    r.role = j.value("role", "");
    r.messages = j.value("messages", 0ull);
    r.bytes = j.value("bytes", 0ull);
    r.corrupt = j.value("corrupt", 0ull);
    r.announced = j.value("announced", 0ull);
    r.seconds = j.value("seconds", 0.0);
    r.sleeps = j.value("sleeps", 0ull);
    r.wakeups = j.value("wakeups", 0ull);
    r.invalid = j.value("invalid", 0ull);
    r.rtt_ns = j.value("rtt_ns", std::vector<std::uint32_t>{});
    r.error = j.value("error", "");
    return r;
}

namespace {

json rtt_summary(std::vector<std::uint32_t> v) {
    if (v.empty()) return json{{"min", 0}, {"p50", 0}, {"p99", 0}, {"max", 0}, {"samples", 0}};
    std::sort(v.begin(), v.end());
    auto pct = [&](double p) { return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))]; };
    return json{{"min", v.front()}, {"p50", pct(0.50)}, {"p99", pct(0.99)}, {"max", v.back()}, {"samples", v.size()}};
}

json end_summary(const EndResult& r) {
    return json{{"role", r.role},       {"messages", r.messages}, {"corrupt", r.corrupt}, {"seconds", r.seconds},
                {"sleeps", r.sleeps},   {"wakeups", r.wakeups},   {"invalid", r.invalid}, {"error", r.error}};
}

}  // namespace

Report combine(const BenchOptions& o, const EndResult* sender, const EndResult* receiver) {
    Report rep;
    json& j = rep.json;
    const bool pingpong = o.test == Test::PingPong;
    std::uint64_t sent = sender ? sender->messages : (receiver ? receiver->announced : 0);
    std::uint64_t received = receiver ? receiver->messages : 0;
    if (pingpong && sender) received = sender->messages;  // answered round trips, as ping counted them
    std::uint64_t corrupt = (sender ? sender->corrupt : 0) + (receiver ? receiver->corrupt : 0);
    // A tx end alone cannot know what arrived: the rx end reports loss.
    const bool knows_loss = receiver != nullptr || (pingpong && sender != nullptr);
    const std::uint64_t lost = knows_loss && sent > received ? sent - received : 0;
    // Rates are what arrived per second: the receiver's time (ping's for round trips).
    const EndResult* timing = pingpong ? sender : (receiver ? receiver : sender);
    const double secs = timing ? timing->seconds : 0;
    const std::uint64_t counted = receiver && !pingpong ? received : sent;
    j = json{{"test", test_name(o.test)},
             {"size", o.size},
             {"mode", o.zero_copy ? "zero-copy" : "copy"},
             {"wait", o.doorbell ? "doorbell" : "poll"},
             {"seconds", secs},
             {"sent", sent},
             {"received", received},
             {"lost", lost},
             {"corrupt", corrupt},
             {"mpps", secs > 0 ? counted / secs / 1e6 : 0.0},
             {"gb_per_s", secs > 0 ? counted * double(o.size) / secs / 1e9 : 0.0},
             {"batch", o.batch},
             {"slots", o.slots != 0 ? o.slots : default_slots(o.test)},
             {"verify", o.full_verify ? "full" : "lines"},
             {"domain", o.domain}};
    if (!knows_loss) j["note"] = "one end only: the receiving end reports received and lost";
    if (pingpong && sender) j["rtt_ns"] = rtt_summary(sender->rtt_ns);
    if (!o.cpus.empty()) j["cpus"] = o.cpus;
    if (sender) j[sender->role] = end_summary(*sender);
    if (receiver) j[receiver->role] = end_summary(*receiver);
    std::string errors;
    for (const EndResult* e : {sender, receiver})
        if (e && !e->error.empty()) errors += (errors.empty() ? "" : "; ") + e->role + ": " + e->error;
    if (!errors.empty()) j["error"] = errors;
    rep.ok = errors.empty() && lost == 0 && corrupt == 0;
    return rep;
}

void print(const Report& rep, bool as_json) {
    const json& j = rep.json;
    if (as_json) {
        std::printf("%s\n", j.dump().c_str());
        return;
    }
    std::printf("%s %s %u B %s: %llu sent, %llu received, %llu lost, %llu corrupt in %.3f s: %.3f Mpps, %.3f GB/s\n",
                j["test"].get<std::string>().c_str(), j["mode"].get<std::string>().c_str(), j["size"].get<unsigned>(),
                j["wait"].get<std::string>().c_str(), j["sent"].get<unsigned long long>(),
                j["received"].get<unsigned long long>(), j["lost"].get<unsigned long long>(),
                j["corrupt"].get<unsigned long long>(), j["seconds"].get<double>(), j["mpps"].get<double>(),
                j["gb_per_s"].get<double>());
    if (j.contains("rtt_ns"))
        std::printf("round trip: min %u ns, p50 %u ns, p99 %u ns, max %u ns\n", j["rtt_ns"]["min"].get<unsigned>(),
                    j["rtt_ns"]["p50"].get<unsigned>(), j["rtt_ns"]["p99"].get<unsigned>(),
                    j["rtt_ns"]["max"].get<unsigned>());
    if (j.contains("error")) std::printf("error: %s\n", j["error"].get<std::string>().c_str());
}

}  // namespace memdomain::bench
