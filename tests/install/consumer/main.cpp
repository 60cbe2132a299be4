// Opens a domain named on the command line through the installed C++ API.
#include <memdomain/domain.h>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    auto d = memdomain::Domain::open(argv[1]);
    if (!d) {
        std::fprintf(stderr, "%s\n", d.error().message.c_str());
        return 1;
    }
    std::printf("c++: %s %zu bytes\n", std::string(d->name()).c_str(), d->data_size());
    return 0;
}
