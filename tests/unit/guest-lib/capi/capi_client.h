/* Scenarios written in C against memdomain.h, run by capi_test.cpp. Each
 * returns 0 on success or the negative line number of the first check that
 * failed, so a failure points at its line in capi_client.c. */
#ifndef MEMDOMAIN_TEST_CAPI_CLIENT_H
#define MEMDOMAIN_TEST_CAPI_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct c_description {
    char name[64];
    size_t data_size;
    uint64_t page_size;
    int access;
    int interrupt_mode;
    uint32_t self;
    uint32_t vectors;
    uint64_t generation;
};

/* md_open + every accessor; returns md_open's result or a failed check. */
int c_describe(const char *socket_dir, const char *name, struct c_description *out);
/* md_open of a missing domain: returns what md_open returned (expected
 * -ENOENT) after checking *out is NULL and md_last_error() is set. */
int c_open_missing(const char *socket_dir, const char *name);
/* Two handles: the second is seen in md_peers of the first, bytes written by
 * one are read by the other, a ring on vector 1 arrives once, vector 0 stays
 * quiet. */
int c_two_handles_talk(const char *socket_dir, const char *name);
/* Argument errors: NULL name, bad vector, unknown peer, NULL ids. */
int c_argument_errors(const char *socket_dir, const char *name);
/* md_open with a zero-initialised options struct (timeout 0 = default). */
int c_zeroed_options_open(const char *socket_dir, const char *name);
/* Opens, checks md_refresh() is 0, calls kill_server(ctx), then returns what
 * md_refresh() says once the hang-up arrives (-ECONNRESET expected). */
int c_refresh_after_server_death(const char *socket_dir, const char *name, void (*kill_server)(void *), void *ctx);
/* md_segment_count and md_segment of a one-segment domain agree with the
 * segment 0 accessors; no map address, shared instance, reserved fields
 * zero; a segment out of range is -ERANGE, a NULL out -EINVAL. */
int c_segment_info(const char *socket_dir, const char *name);
/* md_open_ex: the default handle has a reader thread and a peer id; with
 * MD_OPEN_NO_READER_THREAD none (-1), and its calls read the joins
 * themselves; unknown flags are -EINVAL with *out NULL. */
int c_open_ex_reader_flags(const char *socket_dir, const char *name);
/* The C99 check's only function: md_open_options_init's defaults. */
int c99_defaults_ok(void);

#ifdef __cplusplus
}
#endif

#endif
