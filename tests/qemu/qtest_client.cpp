// The qtest line protocol over a UNIX socket. Test-side code: it talks to the
// socket with send/recv/poll directly (the sys/ wrappers cover the binary
// ivshmem messages, not a text stream).
#include "qtest_client.h"


#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>

#include "memdomain/sys/socket.h"
#include "memdomain/sys/stream.h"

namespace memdomain::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string hex(std::uint64_t v) {
    std::array<char, 19> buf{'0', 'x'};
    auto r = std::to_chars(buf.data() + 2, buf.data() + buf.size(), v, 16);
    return std::string(buf.data(), r.ptr);
}

Error protocol_error(std::string_view request, std::string_view what) {
    return make_error("qtest '" + std::string(request.substr(0, 80)) + "': " + std::string(what), EPROTO);
}

int hex_nibble(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < in.size(); i += 3) {
        std::uint32_t n = std::uint32_t{in[i]} << 16;
        if (i + 1 < in.size()) n |= std::uint32_t{in[i + 1]} << 8;
        if (i + 2 < in.size()) n |= in[i + 2];
        out += kB64[(n >> 18) & 63];
        out += kB64[(n >> 12) & 63];
        out += i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=';
        out += i + 2 < in.size() ? kB64[n & 63] : '=';
    }
    return out;
}

Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
    std::vector<std::uint8_t> out;
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t pad = 0;
    for (char c : text) {
        if (c == '=') {
            ++pad;
            continue;
        }
        auto pos = kB64.find(c);
        if (pos == std::string_view::npos || pad > 0)
            return make_error("invalid base64 character '" + std::string(1, c) + "'", EPROTO);
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
        }
    }
    if (pad > 2) return make_error("invalid base64 padding", EPROTO);
    return out;
}

Result<sys::UniqueFd> QtestClient::listen(const std::string& path) { return sys::listen_unix(path, 1); }

Result<QtestClient> QtestClient::accept(int listen_fd, std::chrono::milliseconds timeout,
                                        const std::function<bool()>& alive) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        MD_ASSIGN_OR_RETURN(sys::UniqueFd s, sys::accept_unix(listen_fd));
        if (s.valid()) return QtestClient(std::move(s));
        if (alive && !alive()) return make_error("QEMU exited before it connected to the qtest socket", ECHILD);
        if (Clock::now() >= deadline)
            return make_error("QEMU did not connect to the qtest socket within " + std::to_string(timeout.count()) +
                                  " ms",
                              ETIMEDOUT);
        MD_TRY(sys::wait_readable(listen_fd, std::chrono::milliseconds(std::min(20, remaining_ms(deadline)))));
    }
}

Status QtestClient::send_all(std::string_view bytes, std::string_view request) {
    if (auto st = sys::write_all(sock_.get(), bytes, timeout_); !st)
        return make_error("qtest '" + std::string(request.substr(0, 80)) + "': " + st.error().message +
                              " (did QEMU exit or stop reading?)",
                          st.error().sys);
    return {};
}

Result<std::string> QtestClient::read_line(std::string_view request) {
    // qtest answers are short; base64 reads of a BAR are the longest.
    constexpr std::size_t kMaxAnswer = 64 << 20;
    auto line = sys::read_line(sock_.get(), inbuf_, kMaxAnswer, timeout_);
    if (!line)
        return make_error("qtest '" + std::string(request.substr(0, 80)) + "': " + line.error().message +
                              (line.error().sys == ECONNRESET ? " (did QEMU exit?)" : ""),
                          line.error().sys);
    return std::move(line).value();
}

Result<std::string> QtestClient::command(std::string_view request) {
    if (!sock_.valid()) return make_error("qtest client is not connected", ENOTCONN);
    if (request.find('\n') != std::string_view::npos) return protocol_error(request, "request contains a newline");
    std::string line(request);
    line += '\n';
    MD_TRY(send_all(line, request));
    for (;;) {
        MD_ASSIGN_OR_RETURN(std::string answer, read_line(request));
        // Interrupt notifications can arrive before any answer; they are not ours.
        if (answer.rfind("IRQ ", 0) == 0) continue;
        if (answer == "OK") return std::string();
        if (answer.rfind("OK ", 0) == 0) {
            auto rest = answer.substr(3);
            while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.pop_back();
            return rest;
        }
        return protocol_error(request, "QEMU answered '" + answer + "'");
    }
}

Result<std::uint64_t> QtestClient::command_value(std::string_view request) {
    MD_ASSIGN_OR_RETURN(std::string v, command(request));
    std::string_view s = v;
    if (s.rfind("0x", 0) != 0) return protocol_error(request, "expected a 0x value, got '" + v + "'");
    s.remove_prefix(2);
    std::uint64_t value = 0;
    auto r = std::from_chars(s.data(), s.data() + s.size(), value, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty())
        return protocol_error(request, "cannot parse value '" + v + "'");
    return value;
}

Status QtestClient::outb(std::uint16_t port, std::uint8_t v) {
    MD_TRY(command("outb " + hex(port) + " " + hex(v)));
    return {};
}
Status QtestClient::outw(std::uint16_t port, std::uint16_t v) {
    MD_TRY(command("outw " + hex(port) + " " + hex(v)));
    return {};
}
Status QtestClient::outl(std::uint16_t port, std::uint32_t v) {
    MD_TRY(command("outl " + hex(port) + " " + hex(v)));
    return {};
}

Result<std::uint8_t> QtestClient::inb(std::uint16_t port) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("inb " + hex(port)));
    return static_cast<std::uint8_t>(v);
}
Result<std::uint16_t> QtestClient::inw(std::uint16_t port) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("inw " + hex(port)));
    return static_cast<std::uint16_t>(v);
}
Result<std::uint32_t> QtestClient::inl(std::uint16_t port) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("inl " + hex(port)));
    return static_cast<std::uint32_t>(v);
}

Status QtestClient::writeb(std::uint64_t a, std::uint8_t v) {
    MD_TRY(command("writeb " + hex(a) + " " + hex(v)));
    return {};
}
Status QtestClient::writew(std::uint64_t a, std::uint16_t v) {
    MD_TRY(command("writew " + hex(a) + " " + hex(v)));
    return {};
}
Status QtestClient::writel(std::uint64_t a, std::uint32_t v) {
    MD_TRY(command("writel " + hex(a) + " " + hex(v)));
    return {};
}
Status QtestClient::writeq(std::uint64_t a, std::uint64_t v) {
    MD_TRY(command("writeq " + hex(a) + " " + hex(v)));
    return {};
}

Result<std::uint8_t> QtestClient::readb(std::uint64_t a) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("readb " + hex(a)));
    return static_cast<std::uint8_t>(v);
}
Result<std::uint16_t> QtestClient::readw(std::uint64_t a) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("readw " + hex(a)));
    return static_cast<std::uint16_t>(v);
}
Result<std::uint32_t> QtestClient::readl(std::uint64_t a) {
    MD_ASSIGN_OR_RETURN(std::uint64_t v, command_value("readl " + hex(a)));
    return static_cast<std::uint32_t>(v);
}
Result<std::uint64_t> QtestClient::readq(std::uint64_t a) { return command_value("readq " + hex(a)); }

Result<std::vector<std::uint8_t>> QtestClient::read(std::uint64_t addr, std::size_t size) {
    if (size == 0) return std::vector<std::uint8_t>{};  // QEMU asserts on a zero-length read
    const std::string request = "read " + hex(addr) + " " + hex(size);
    MD_ASSIGN_OR_RETURN(std::string v, command(request));
    if (v.rfind("0x", 0) != 0 || v.size() != 2 + 2 * size)
        return protocol_error(request, "expected 0x and " + std::to_string(2 * size) + " hex digits");
    std::vector<std::uint8_t> out(size);
    for (std::size_t i = 0; i < size; ++i) {
        int hi = hex_nibble(v[2 + 2 * i]), lo = hex_nibble(v[3 + 2 * i]);
        if (hi < 0 || lo < 0) return protocol_error(request, "non-hex digit in answer");
        out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    return out;
}

Status QtestClient::write(std::uint64_t addr, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return {};
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string request = "write " + hex(addr) + " " + hex(bytes.size()) + " 0x";
    request.reserve(request.size() + 2 * bytes.size());
    for (std::uint8_t b : bytes) {
        request += kDigits[b >> 4];
        request += kDigits[b & 15];
    }
    MD_TRY(command(request));
    return {};
}

Result<std::vector<std::uint8_t>> QtestClient::b64read(std::uint64_t addr, std::size_t size) {
    if (size == 0) return std::vector<std::uint8_t>{};
    const std::string request = "b64read " + hex(addr) + " " + hex(size);
    MD_ASSIGN_OR_RETURN(std::string v, command(request));
    auto decoded = base64_decode(v);
    if (!decoded) return protocol_error(request, decoded.error().message);
    if (decoded->size() != size)
        return protocol_error(request, "decoded " + std::to_string(decoded->size()) + " bytes, asked for " +
                                           std::to_string(size));
    return std::move(decoded).value();
}

Status QtestClient::b64write(std::uint64_t addr, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return {};
    MD_TRY(command("b64write " + hex(addr) + " " + hex(bytes.size()) + " " + base64_encode(bytes)));
    return {};
}

}  // namespace memdomain::test
