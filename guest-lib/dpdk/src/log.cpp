// The log types and the thread-local last error (see log.h).
#include "log.h"

#include <utility>

namespace memdomain::dpdk {

RTE_LOG_REGISTER(heap_logtype, lib.memdomain, NOTICE);
RTE_LOG_REGISTER(pmd_logtype, pmd.net.memdomain, NOTICE);

namespace {
thread_local std::string g_last_error;
}

int report(int logtype, const Error& e, int fallback) {
    rte_log(RTE_LOG_ERR, logtype, "%s: %s\n", logtype == pmd_logtype ? "net_memdomain" : "memdomain",
            e.message.c_str());
    g_last_error = e.message;
    return -(e.sys != 0 ? e.sys : fallback);
}

void set_last_error(std::string message) { g_last_error = std::move(message); }

const char* last_error() { return g_last_error.c_str(); }

}  // namespace memdomain::dpdk
