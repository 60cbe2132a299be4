/* md_churn_peers: makes peers come and go on a domain, each one a process
 * of its own: for each of COUNT peers it forks a child that attaches
 * (md_open), holds the domain for HOLD_MS, and leaves, half of them with
 * md_close and half by simply exiting (the kernel closes the socket, as for
 * a crash). It starts a new peer every PERIOD_MS and keeps at most 4 alive
 * at once. Prints "done <attached> <failed>" and exits 0 when every child
 * attached.
 *
 *   md_churn_peers SOCKET_DIR NAME COUNT PERIOD_MS HOLD_MS
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c11 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memdomain/memdomain.h"

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
}

static int peer(const char *dir, const char *name, long hold_ms, int clean) {
    struct md_open_options o;
    md_open_options_init(&o);
    o.transport = MD_TRANSPORT_SOCKET;
    o.socket_dir = dir;
    struct md_domain *d = NULL;
    if (md_open_ex(name, &o, MD_OPEN_NO_READER_THREAD, &d) != 0) {
        fprintf(stderr, "md_open: %s\n", md_last_error());
        return 1;
    }
    sleep_ms(hold_ms);
    if (clean) md_close(d);
    return 0;
}

/* Reaps one child; counts it. */
static void reap(int *alive, int *ok, int *failed) {
    int status = 0;
    if (wait(&status) < 0) return;
    --*alive;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        ++*ok;
    else
        ++*failed;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: md_churn_peers SOCKET_DIR NAME COUNT PERIOD_MS HOLD_MS\n");
        return 2;
    }
    const int count = atoi(argv[3]);
    const long period = atol(argv[4]), hold = atol(argv[5]);
    int alive = 0, ok = 0, failed = 0;
    for (int i = 0; i < count; ++i) {
        while (alive >= 4) reap(&alive, &ok, &failed);
        const pid_t child = fork();
        if (child < 0) {
            perror("fork");
            ++failed;
            continue;
        }
        if (child == 0) _exit(peer(argv[1], argv[2], hold, i % 2 == 0));
        ++alive;
        sleep_ms(period);
    }
    while (alive > 0) reap(&alive, &ok, &failed);
    printf("done %d %d\n", ok, failed);
    return failed == 0 ? 0 : 1;
}
