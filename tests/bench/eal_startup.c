/* eal_startup: how long DPDK's rte_eal_init takes with the EAL arguments
 * given (compare.sh passes `--no-huge -m 1024 ...`: the same 1 GiB of
 * memory a 1 GiB domain attach maps). Prints {"eal_init_ms": N}. Needs
 * libdpdk (built only where pkg-config finds it). */
#include <stdio.h>
#include <time.h>

#include <rte_eal.h>

int main(int argc, char **argv) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = rte_eal_init(argc, argv);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc < 0) {
        fprintf(stderr, "eal_startup: rte_eal_init failed\n");
        return 1;
    }
    printf("{\"eal_init_ms\":%.3f}\n", (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
    rte_eal_cleanup();
    return 0;
}
