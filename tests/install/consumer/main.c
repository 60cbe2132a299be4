/* Opens a domain named on the command line through the installed C API. */
#include <memdomain/memdomain.h>
#include <stdio.h>

int main(int argc, char** argv) {
    struct md_domain* d = NULL;
    if (argc < 2) return 2;
    if (md_open(argv[1], NULL, &d) != 0) {
        fprintf(stderr, "%s\n", md_last_error());
        return 1;
    }
    printf("c: %s %zu bytes\n", md_name(d), md_data_size(d));
    md_close(d);
    return 0;
}
