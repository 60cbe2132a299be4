/* Scenarios written in C11 against memdomain/datapath.h, run by
 * datapath_capi_test.cpp. Each returns 0 on success or the negative line
 * number of the first check that failed (in datapath_c_client.c). */
#ifndef MEMDOMAIN_TEST_DATAPATH_C_CLIENT_H
#define MEMDOMAIN_TEST_DATAPATH_C_CLIENT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Attach, claim an arena (the DPDK heap adapter's call), allocate, publish
 * and look up, from two handles. */
int dp_c_arena_and_directory(const char *socket_dir, const char *name);
/* A copy channel and a zero-copy channel between two handles, with the
 * sleep protocol's arm/disarm and the stats. */
int dp_c_channels(const char *socket_dir, const char *name);
/* NULL handles and arguments are -EINVAL; wrong ends and modes -EPERM. */
int dp_c_argument_errors(const char *socket_dir, const char *name);

#ifdef __cplusplus
}
#endif

#endif
