// Test users, made with the shadow tools as an administrator would.
#include "test_users.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

namespace memdomain::test {
namespace {

bool sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Runs `change` until `check` holds (at most 20 tries, 100 ms apart).
bool ensure(const std::string& check, const std::string& change) {
    for (int i = 0; i < 20 && !sh(check); ++i)
        if (!sh(change)) ::usleep(100000);
    return sh(check);
}

}  // namespace

bool ensure_test_users() {
    if (::geteuid() != 0) return false;
    bool ok = ensure(std::string("getent group ") + kGroupReaders, std::string("groupadd -f ") + kGroupReaders);
    for (const char* u : {kUserRw, kUserRo, kUserNone})
        ok = ensure(std::string("id ") + u, std::string("useradd --no-create-home --shell /usr/sbin/nologin ") + u) && ok;
    return ensure(std::string("id -nG ") + kUserRo + " | grep -qw " + kGroupReaders,
                  std::string("usermod -a -G ") + kGroupReaders + " " + kUserRo) && ok;
}

std::string guarded_domain_config(bool readers, const std::string& extra) {
    return std::string("memdomain Guarded {\n"
                       "    size {\n"
                       "        huge 4K = 1MB R/W\n"
                       "    }\n"
                       "    access {\n"
                       "        user root = R/W\n"
                       "        user ") + kUserRw + " = R/W\n" +
           (readers ? std::string("        group ") + kGroupReaders + " = R/O\n" : "") + "    }\n" + extra + "}\n";
}

}  // namespace memdomain::test
