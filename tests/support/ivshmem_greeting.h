// The start of every ivshmem server connection, client side, shared by the
// tests' own protocol clients (HostPeer here, RawPeer in integration/scale):
// the server sends version 0, then the client's id, then the shared memory
// fd (id -1), each as one message (memdomain/common/ivshmem_protocol.h).
// A refused client instead gets version 0, then id -1 without fd, then a
// hang-up; that is reported as ECONNREFUSED so a test can tell a refusal
// from any other failure.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::test {

using SteadyClock = std::chrono::steady_clock;

struct IvshmemGreeting {
    std::int64_t id = -1;
    sys::UniqueFd memory;  // the shared memory fd as the server sent it
};

// Reads version, id and memory fd from `sock` before `deadline`.
// ECONNREFUSED: the refusal pair; EPROTO: a message out of place; the
// socket's own errors (ETIMEDOUT, ECONNRESET) as they come.
Result<IvshmemGreeting> read_ivshmem_greeting(int sock, SteadyClock::time_point deadline);

// The time until `deadline`, never negative.
std::chrono::milliseconds time_left(SteadyClock::time_point deadline);
// An EPROTO error naming the ivshmem protocol.
Error ivshmem_protocol_error(const std::string& what);

}  // namespace memdomain::test
