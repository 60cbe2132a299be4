// A minimal client of QEMU's qtest protocol (QEMU's softmmu/qtest.c): one
// text line per request, one "OK [value]" / "FAIL ..." / "ERR ..." line per
// answer, with asynchronous "IRQ raise|lower N" lines possibly in between
// (skipped here). It lets a test play the guest of a paused QEMU: port I/O
// (PCI config space through 0xCF8/0xCFC) and guest-physical memory, which
// includes the BARs of PCI devices once they are placed.
//
// QEMU is the connecting side: the test listens first (listen), starts QEMU
// with "-qtest unix:PATH" and then accepts its connection (accept).
//
// Every call waits at most timeout() for its answer and returns an Error
// naming the command on failure: ETIMEDOUT (no answer), ECONNRESET (QEMU
// closed the connection, usually because it exited), EPROTO (an answer that
// is not OK or cannot be parsed). QEMU aborts on malformed requests (its
// parser asserts), so the client never sends one: sizes are checked first.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::test {

class QtestClient {
public:
    // A listening socket at `path` for QEMU's "-qtest unix:PATH".
    static Result<sys::UniqueFd> listen(const std::string& path);
    // Waits for QEMU to connect on `listen_fd`. `alive`, when given, is asked
    // every few milliseconds so that a QEMU that died at start-up is an error
    // at once instead of a timeout.
    static Result<QtestClient> accept(int listen_fd, std::chrono::milliseconds timeout,
                                      const std::function<bool()>& alive = {});

    QtestClient(QtestClient&&) noexcept = default;
    QtestClient& operator=(QtestClient&&) noexcept = default;

    std::chrono::milliseconds timeout() const { return timeout_; }
    void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }

    // Port I/O.
    Status outb(std::uint16_t port, std::uint8_t value);
    Status outw(std::uint16_t port, std::uint16_t value);
    Status outl(std::uint16_t port, std::uint32_t value);
    Result<std::uint8_t> inb(std::uint16_t port);
    Result<std::uint16_t> inw(std::uint16_t port);
    Result<std::uint32_t> inl(std::uint16_t port);

    // Guest-physical memory, little-endian values (the x86 guest's order).
    Status writeb(std::uint64_t addr, std::uint8_t value);
    Status writew(std::uint64_t addr, std::uint16_t value);
    Status writel(std::uint64_t addr, std::uint32_t value);
    Status writeq(std::uint64_t addr, std::uint64_t value);
    Result<std::uint8_t> readb(std::uint64_t addr);
    Result<std::uint16_t> readw(std::uint64_t addr);
    Result<std::uint32_t> readl(std::uint64_t addr);
    Result<std::uint64_t> readq(std::uint64_t addr);

    // Byte ranges: "read"/"write" carry hex, "b64read"/"b64write" base64
    // (a third of the bytes on the wire). An empty range sends nothing.
    Result<std::vector<std::uint8_t>> read(std::uint64_t addr, std::size_t size);
    Status write(std::uint64_t addr, std::span<const std::uint8_t> bytes);
    Result<std::vector<std::uint8_t>> b64read(std::uint64_t addr, std::size_t size);
    Status b64write(std::uint64_t addr, std::span<const std::uint8_t> bytes);

    // Sends one request line (without '\n') and returns what follows "OK" in
    // the answer, trimmed ("" for a bare OK).
    Result<std::string> command(std::string_view request);

private:
    explicit QtestClient(sys::UniqueFd sock) : sock_(std::move(sock)) {}
    Status send_all(std::string_view bytes, std::string_view request);
    Result<std::string> read_line(std::string_view request);
    Result<std::uint64_t> command_value(std::string_view request);

    sys::UniqueFd sock_;
    std::string inbuf_;
    std::chrono::milliseconds timeout_{5000};
};

// Base64 (RFC 4648, with padding), as qtest's b64read/b64write use it.
std::string base64_encode(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace memdomain::test
