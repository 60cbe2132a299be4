// The ivshmem server's greeting, read one message at a time.
#include "ivshmem_greeting.h"

#include <cerrno>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {

std::chrono::milliseconds time_left(SteadyClock::time_point deadline) {
    auto l = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    return l.count() < 0 ? std::chrono::milliseconds(0) : l;
}

Error ivshmem_protocol_error(const std::string& what) { return make_error("ivshmem protocol: " + what, EPROTO); }

Result<IvshmemGreeting> read_ivshmem_greeting(int sock, SteadyClock::time_point deadline) {
    MD_ASSIGN_OR_RETURN(sys::Message version, sys::receive_message(sock, time_left(deadline)));
    if (version.value != ivshmem::kProtocolVersion || version.fd.valid())
        return ivshmem_protocol_error("first message is " + std::to_string(version.value) +
                                      (version.fd.valid() ? " with an fd" : "") + ", expected version 0 without fd");
    MD_ASSIGN_OR_RETURN(sys::Message id, sys::receive_message(sock, time_left(deadline)));
    if (id.value == ivshmem::kRefusedId && !id.fd.valid()) {
        // A refusal is the pair and nothing else: the server closes at once.
        auto after = sys::receive_message(sock, time_left(deadline));
        if (after) return ivshmem_protocol_error("message " + std::to_string(after->value) + " after the refusal pair");
        if (after.error().sys != ECONNRESET) return after.error();
        return make_error("refused (version 0, id -1)", ECONNREFUSED);
    }
    if (id.value < 0 || id.fd.valid()) return ivshmem_protocol_error("bad own-id message " + std::to_string(id.value));
    MD_ASSIGN_OR_RETURN(sys::Message shm, sys::receive_message(sock, time_left(deadline)));
    if (shm.value != ivshmem::kSharedMemoryId || !shm.fd.valid())
        return ivshmem_protocol_error("third message is " + std::to_string(shm.value) +
                                      ", expected -1 with the memory fd");
    return IvshmemGreeting{id.value, std::move(shm.fd)};
}

}  // namespace memdomain::test
