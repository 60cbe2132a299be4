// memdomain-bench: measures memdomain's data path (channels in a domain)
// with every payload checked.
//
//   memdomain-bench pair --domain NAME --test rate|pingpong|bulk [--size BYTES]
//       [--seconds S | --count N] [--mode copy|zero-copy] [--wait poll|doorbell]
//       [--cpus A,B] [--json]
//   memdomain-bench tx|rx|ping|pong|bulk-tx|bulk-rx --domain NAME [same options] [--cpu C]
//
// pair forks both ends, pins them to two different CPUs (default: the first
// two this process may use) and prints one combined result; the other verbs
// run one end each (one in each of two VMs or containers, same --name).
// --json prints one JSON object last: test, size, mode, wait, seconds, sent,
// received, lost, corrupt, mpps, gb_per_s, and for pingpong rtt_ns {min,
// p50, p99, max}. Exit 0 when lost = 0, corrupt = 0 and both ends finished;
// 1 otherwise; 2 when the domain does not exist.
#include <sched.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "memdomain_bench.h"
#include "memdomain_bench_report.h"

namespace po = boost::program_options;
using namespace memdomain;
using namespace memdomain::bench;

namespace {

constexpr const char* kTool = "memdomain-bench";

struct Verb {
    const char* name;
    Test test;
    bool pair;
    Role role;
};
constexpr Verb kVerbs[] = {
    {"pair", Test::Rate, true, Role::Tx},           {"tx", Test::Rate, false, Role::Tx},
    {"rx", Test::Rate, false, Role::Rx},            {"ping", Test::PingPong, false, Role::Ping},
    {"pong", Test::PingPong, false, Role::Pong},    {"bulk-tx", Test::Bulk, false, Role::Tx},
    {"bulk-rx", Test::Bulk, false, Role::Rx},
};

Result<std::vector<int>> parse_cpus(const std::string& s) {
    std::vector<int> v;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            v.push_back(std::stoi(item));
        } catch (...) {
            return make_error("--cpus: '" + item + "' is not a CPU number", EINVAL);
        }
    }
    if (v.size() != 2 || v[0] == v[1] || v[0] < 0 || v[1] < 0)
        return make_error("--cpus takes two different CPUs, e.g. 0,1", EINVAL);
    return v;
}

// The first two CPUs this process may run on.
Result<std::vector<int>> default_cpus() {
    cpu_set_t set;
    if (::sched_getaffinity(0, sizeof set, &set) != 0) return sys_error("sched_getaffinity");
    std::vector<int> v;
    for (int c = 0; c < CPU_SETSIZE && v.size() < 2; ++c)
        if (CPU_ISSET(c, &set)) v.push_back(c);
    if (v.size() < 2) return make_error("pair needs two CPUs and this process may use one", EINVAL);
    return v;
}

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "%s: %s (see --help)\n", kTool, msg.c_str());
    return tools::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
    BenchOptions o;
    std::string verb, test = "rate", mode = "copy", wait = "poll", cpus, verify = "lines";
    po::options_description desc(
        "usage: memdomain-bench pair|tx|rx|ping|pong|bulk-tx|bulk-rx --domain NAME [options]\noptions");
    desc.add_options()("help,h", "show this help")("verb", po::value(&verb), "what to run")(
        "domain", po::value(&o.domain), "the domain (a running memdomaind's, or the VM's ivshmem device)")(
        "test", po::value(&test), "pair: rate | pingpong | bulk (default rate)")(
        "size", po::value(&o.size), "payload bytes per message (default 64; bulk 65536)")(
        "seconds", po::value(&o.seconds), "how long to send (default 2)")(
        "count", po::value(&o.count), "send exactly this many messages instead")(
        "mode", po::value(&mode), "copy | zero-copy (default copy)")(
        "wait", po::value(&wait), "poll (busy) | doorbell (sleep when idle) (default poll)")(
        "json", po::bool_switch(&o.json), "print one JSON object last")(
        "cpus", po::value(&cpus), "pair: the two CPUs, e.g. 0,1 (default: the first two allowed)")(
        "cpu", po::value(&o.cpu), "one end: pin to this CPU")(
        "batch", po::value(&o.batch), "messages per burst (default 32; bulk 8)")(
        "slots", po::value(&o.slots), "ring entries (default: rate 1024, pingpong and bulk 64)")(
        "name", po::value(&o.name), "channel name prefix, the same at both ends (default bench)")(
        "verify", po::value(&verify), "lines (one word per 64-byte line) | full (every byte) (default lines)")(
        "jitter-ns", po::value(&o.jitter_ns), "spin 0..N ns before each send (to race the sleep protocol)")(
        "timeout-ms", po::value(&o.timeout_ms), "for the other end to appear and to make progress (default 10000)");
    tools::add_transport_options(desc, o.transport);
    po::positional_options_description pos;
    pos.add("verb", 1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc, argv).options(desc).positional(pos).run(), vm);
        po::notify(vm);
        if (vm.count("help") || verb.empty()) {
            std::cout << desc << "\n";
            return vm.count("help") ? tools::kExitOk : tools::kExitError;
        }
        const Verb* v = nullptr;
        for (const Verb& x : kVerbs)
            if (verb == x.name) v = &x;
        if (v == nullptr) return usage_error("unknown verb '" + verb + "'");
        if (o.domain.empty()) return usage_error("--domain is required");
        if (v->pair) {
            if (test == "rate") o.test = Test::Rate;
            else if (test == "pingpong") o.test = Test::PingPong;
            else if (test == "bulk") o.test = Test::Bulk;
            else return usage_error("--test must be rate, pingpong or bulk");
        } else {
            o.test = v->test;
        }
        if (o.test == Test::Bulk && !vm.count("size")) o.size = 65536;
        if (o.test == Test::Bulk && !vm.count("batch")) o.batch = 8;
        if (mode != "copy" && mode != "zero-copy") return usage_error("--mode must be copy or zero-copy");
        if (wait != "poll" && wait != "doorbell") return usage_error("--wait must be poll or doorbell");
        if (verify != "lines" && verify != "full") return usage_error("--verify must be lines or full");
        o.zero_copy = mode == "zero-copy";
        o.doorbell = wait == "doorbell";
        o.full_verify = verify == "full";
        if (o.size == 0 || o.size > 65536) return usage_error("--size must be 1..65536");
        if (o.batch == 0 || o.batch > 1024) return usage_error("--batch must be 1..1024");
        if (o.seconds <= 0 && o.count == 0) return usage_error("--seconds must be > 0");
        if (v->pair) {
            auto c = cpus.empty() ? default_cpus() : parse_cpus(cpus);
            if (!c) return usage_error(c.error().message);
            o.cpus = *c;
            return run_pair(o);
        }
        if (o.cpu >= 0)
            if (auto st = pin_to_cpu(o.cpu); !st) return tools::report(kTool, st.error());
        return run_single(o, v->role);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }
}
