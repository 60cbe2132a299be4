// dpdk_peer's entry: EAL arguments first (rte_eal_init consumes them), then
// after "--" the peer's own options (Boost.Program_options).
#include <rte_eal.h>
#include <rte_errno.h>

#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "peer.h"

namespace po = boost::program_options;

int main(int argc, char** argv) {
    const int used = rte_eal_init(argc, argv);
    if (used < 0) {
        std::printf("ERROR rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    dpdk_peer::Options o;
    po::options_description desc("dpdk_peer [EAL args] -- MODE [options]");
    desc.add_options()("mode", po::value(&o.mode)->required(), "heap | exchange | link | trickle | sleep")(
        "domain", po::value(&o.domain)->required(), "domain name")(
        "socket-dir", po::value(&o.socket_dir), "memdomaind's socket directory")(
        "count", po::value(&o.count), "frames to send (exchange)")("id", po::value(&o.id), "this peer's tag")(
        "frame", po::value(&o.frame), "frame size (exchange)")("min-mb", po::value(&o.min_mb), "heap arena MiB")(
        "timeout", po::value(&o.timeout_s), "seconds before giving up")(
        "private-pool", po::bool_switch(&o.private_pool),
        "exchange: the mbuf pool in DPDK's own memory, not on the domain heap (frames are copied)")(
        "hold", po::value(&o.hold), "exchange: hold the last N received frames until after the port stop")(
        "linger-ms", po::value(&o.linger_ms), "exchange: keep polling Rx this long before stopping");
    po::positional_options_description pos;
    pos.add("mode", 1);
    try {
        po::variables_map vm;
        po::store(po::command_line_parser(argc - used, argv + used).options(desc).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::printf("ERROR %s\n", e.what());
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    int rc = 2;
    if (o.mode == "heap") rc = dpdk_peer::run_heap(o);
    else if (o.mode == "exchange") rc = dpdk_peer::run_exchange(o);
    else if (o.mode == "link") rc = dpdk_peer::run_link(o);
    else if (o.mode == "trickle") rc = dpdk_peer::run_trickle(o);
    else if (o.mode == "sleep") rc = dpdk_peer::run_sleep(o);
    else std::printf("ERROR unknown mode '%s'\n", o.mode.c_str());
    rte_eal_cleanup();
    return rc;
}
