// One environment variable set (or unset) for the life of a scope, then put
// back as it was: the notify and fd-store tests point $NOTIFY_SOCKET at a
// socket of their own, which is where libsystemd sends.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace memdomain::test {

struct ScopedEnv {
    std::string name;
    std::optional<std::string> old;
    ScopedEnv(const char* n, const char* value) : name(n) {
        if (const char* o = std::getenv(n)) old = o;
        if (value)
            ::setenv(n, value, 1);
        else
            ::unsetenv(n);
    }
    ~ScopedEnv() {
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
};

}  // namespace memdomain::test
