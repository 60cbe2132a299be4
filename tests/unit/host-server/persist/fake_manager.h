// What the notify and fd-store tests share: a service manager's end of the
// notify socket (abstract, SO_PASSCRED, read as systemd or memdomain-keeper
// reads it), and $NOTIFY_SOCKET pointed at it for one scope — libsystemd
// sends wherever that variable says.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <string>

#include "memdomain/sys/socket.h"

namespace memdomain::test {

struct FakeManager {
    std::string name = "@memdomain-test/manager/" + std::to_string(::getpid()) + "/" +
                       std::to_string(std::random_device{}());
    sys::UniqueFd sock;
    FakeManager() {
        auto s = sys::bind_datagram(name, true);
        if (s) sock = std::move(*s);
    }
    // The next datagram already waiting, if any.
    std::optional<sys::Datagram> receive() {
        auto d = sys::receive_datagram_with_fds(sock.get());
        if (!d || !d->has_value()) return std::nullopt;
        return std::move(**d);
    }
};

// One environment variable set (or unset) for the life of a scope, then put
// back as it was.
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
