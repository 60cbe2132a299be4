// Errors out of libmemdomain_dpdk and net_memdomain, the DPDK way: one
// RTE_LOG line on our own log type, a negative errno returned, and the
// message kept for md_dpdk_last_error() in the calling thread.
#pragma once

#include <rte_log.h>

#include <string>

#include "memdomain/common/result.h"

namespace memdomain::dpdk {

// "lib.memdomain": the heap adapter. "pmd.net.memdomain": the driver.
extern int heap_logtype;
extern int pmd_logtype;

// Logs `e` at ERR on `logtype`, keeps the message, returns -e.sys (or
// -fallback when the error carries no errno).
int report(int logtype, const Error& e, int fallback = EIO);
// Keeps `message` for md_dpdk_last_error() without logging it.
void set_last_error(std::string message);
const char* last_error();

}  // namespace memdomain::dpdk

#define MD_HEAP_LOG(level, fmt, ...) \
    rte_log(RTE_LOG_##level, ::memdomain::dpdk::heap_logtype, "memdomain: " fmt "\n", ##__VA_ARGS__)
#define MD_PMD_LOG(level, fmt, ...) \
    rte_log(RTE_LOG_##level, ::memdomain::dpdk::pmd_logtype, "net_memdomain: " fmt "\n", ##__VA_ARGS__)
