/* md_quiet_client: a libmemdomain client that does not keep the server's
 * messages in mind, for the keep-up tests. Written against the C API, as a
 * C or DPDK program would be.
 *
 *   md_quiet_client wait SOCKET_DIR NAME MIN_SECONDS
 *       Calls md_wait(vector 0, 100 ms) and nothing else, until it has been
 *       waiting MIN_SECONDS and has received a ring (gives up after
 *       MIN_SECONDS + 60 s).
 *   md_quiet_client busy SOCKET_DIR NAME OFFSET
 *       Calls nothing at all: spins on the 64-bit word at OFFSET of the data
 *       area (a DPDK-style poll loop) until it is non-zero, then calls
 *       md_wait(vector 0, 10 s) once for a ring.
 *
 * Both print "ready self=<id>" once open, then at the end "rings=<n>
 * refresh=<md_refresh result> seconds=<waited>", and exit 0 when a ring
 * came and md_refresh says the domain is still served; 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c11 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "memdomain/memdomain.h"

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int finish(struct md_domain *d, int64_t rings, double waited) {
    const int refresh = md_refresh(d);
    printf("rings=%lld refresh=%d seconds=%.1f\n", (long long)rings, refresh, waited);
    if (refresh != 0) printf("md_refresh: %s\n", md_last_error());
    fflush(stdout);
    md_close(d);
    return rings > 0 && refresh == 0 ? 0 : 1;
}

static int only_wait(struct md_domain *d, double min_seconds) {
    const double start = now_seconds();
    int64_t rings = 0;
    for (;;) {
        const double waited = now_seconds() - start;
        if ((rings > 0 && waited >= min_seconds) || waited > min_seconds + 60) return finish(d, rings, waited);
        const int64_t n = md_wait(d, 0, 100);
        if (n < 0) {
            printf("md_wait: %s\n", md_last_error());
            return finish(d, rings, waited);
        }
        rings += n;
    }
}

static int busy_poll(struct md_domain *d, size_t offset) {
    if (offset + sizeof(uint64_t) > md_data_size(d) || offset % sizeof(uint64_t) != 0) {
        printf("bad offset %zu\n", offset);
        return 1;
    }
    _Atomic uint64_t *flag = (_Atomic uint64_t *)((char *)md_data(d) + offset);
    const double start = now_seconds();
    while (atomic_load_explicit(flag, memory_order_acquire) == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
    const double waited = now_seconds() - start;
    const int64_t n = md_wait(d, 0, 10000);
    if (n < 0) printf("md_wait: %s\n", md_last_error());
    return finish(d, n > 0 ? n : 0, waited);
}

int main(int argc, char **argv) {
    if (argc != 5 || (strcmp(argv[1], "wait") != 0 && strcmp(argv[1], "busy") != 0)) {
        fprintf(stderr, "usage: md_quiet_client wait|busy SOCKET_DIR NAME SECONDS|OFFSET\n");
        return 2;
    }
    struct md_open_options o;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = argv[2];
    struct md_domain *d = NULL;
    if (md_open(argv[3], &o, &d) != 0) {
        printf("md_open: %s\n", md_last_error());
        return 1;
    }
    printf("ready self=%u\n", md_self(d));
    fflush(stdout);
    if (strcmp(argv[1], "wait") == 0) return only_wait(d, atof(argv[4]));
    return busy_poll(d, (size_t)strtoull(argv[4], NULL, 0));
}
