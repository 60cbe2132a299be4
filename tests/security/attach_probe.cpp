// A client that tries everything a peer could do with what the server gives
// it, and prints one "key: outcome" line per attempt. The access-control
// tests run it as users with different grants.
//
//   attach_probe SOCKET DOMAIN [--wait-for TEXT]
// --wait-for: after the first read, poll the data area until it starts with
// TEXT (to show a read-only peer sees live writes), for at most 10 s.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "memdomain/common/ivshmem_protocol.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"
#include "memdomain/sys/socket.h"

using namespace memdomain;
using namespace std::chrono_literals;

static const char* errname(int e) {
    switch (e) {
        case EACCES: return "EACCES";
        case EPERM: return "EPERM";
        case EINVAL: return "EINVAL";
        case EBADF: return "EBADF";
        default: return std::strerror(e);
    }
}

// What the client library reports for this user.
static void report_library(const std::string& socket, const char* domain) {
    OpenOptions o;
    o.transport = TransportKind::Socket;
    o.socket_dir = socket.substr(0, socket.rfind('/'));
    auto d = Domain::open(domain, o);
    if (d)
        std::printf("library: %s\n", std::string(to_string(d->access())).c_str());
    else
        std::printf("library: error %s: %s\n", errname(d.error().sys), d.error().message.c_str());
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: attach_probe SOCKET DOMAIN [--wait-for TEXT]\n");
        return 2;
    }
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    const std::string wait_for = argc >= 5 && std::string(argv[3]) == "--wait-for" ? argv[4] : "";
    auto sock = sys::connect_unix(argv[1]);
    if (!sock) {
        std::printf("connect: %s\n", sock.error().message.c_str());
        return 1;
    }
    auto version = sys::receive_message(sock->get(), 3000ms);
    if (!version) {
        std::printf("burst: refused (%s)\n", version.error().message.c_str());
        return 1;
    }
    auto id = sys::receive_message(sock->get(), 3000ms);
    if (id && id->value == ivshmem::kRefusedId) {
        std::printf("burst: refused (id -1)\n");
        auto more = sys::receive_message(sock->get(), 3000ms);
        std::printf("after_refusal: %s\n", more ? "more data" : "closed");
        report_library(argv[1], argv[2]);
        return 1;
    }
    auto shm = sys::receive_message(sock->get(), 3000ms);
    if (!id || !shm || shm->value != ivshmem::kSharedMemoryId || !shm->fd.valid()) {
        std::printf("burst: broken\n");
        return 1;
    }
    std::printf("burst: ok id=%lld\n", static_cast<long long>(id->value));
    const int fd = shm->fd.get();
    std::printf("fd_flags: %s\n", (::fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY ? "O_RDONLY" : "O_RDWR");
    struct stat st {};
    ::fstat(fd, &st);
    const std::size_t size = static_cast<std::size_t>(st.st_size);

    void* rw = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    std::printf("mmap_rw: %s\n", rw == MAP_FAILED ? errname(errno) : "ok");
    void* ro = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    std::printf("mmap_ro: %s\n", ro == MAP_FAILED ? errname(errno) : "ok");
    if (ro == MAP_FAILED) return 1;
    std::printf("mprotect_rw: %s\n", ::mprotect(ro, 4096, PROT_READ | PROT_WRITE) != 0 ? errname(errno) : "ok");
    {
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        int again = ::open(self.c_str(), O_RDWR);
        std::printf("reopen_rw: %s\n", again < 0 ? errname(errno) : "ok");
        if (again >= 0) ::close(again);
    }
    std::printf("ftruncate_shrink: %s\n", ::ftruncate(fd, 4096) != 0 ? errname(errno) : "ok");
    std::printf("ftruncate_grow: %s\n", ::ftruncate(fd, static_cast<off_t>(size) * 2) != 0 ? errname(errno) : "ok");

    auto h = validate_segment_header(ro, size);
    if (!h) {
        std::printf("header: %s\n", h.error().message.c_str());
        return 1;
    }
    const char* data = static_cast<const char*>(ro) + h->data_offset;
    std::printf("read: %.32s\n", data);
    if (rw != MAP_FAILED) {
        char* wdata = static_cast<char*>(rw) + h->data_offset;
        std::snprintf(wdata + 256, 64, "written-by-uid-%u", ::getuid());
        std::printf("write: ok\n");
    }
    if (!wait_for.empty()) {
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::strncmp(data, wait_for.c_str(), wait_for.size()) != 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(5ms);
        std::printf("live: %.32s\n", data);
    }
    report_library(argv[1], argv[2]);
    return 0;
}
