// guest-scenario: the VM tests' own guest program (linked -static, installed
// as /bin/guest-scenario in the test image). It opens a domain BY NAME with
// the public API, like any application, and meets the other peers on the
// test board (test_board.h). It prints "MDTEST-KV: key=value" lines that the
// host test asserts on, and exits 0 on success, 1 with a message otherwise.
//
//   guest-scenario exchange NAME --vms N     write a token, read the other
//       VMs' tokens, ring every other VM on vector 0, receive a ring
//   guest-scenario announce NAME [--hold-go V]   write a token, then (with
//       --hold-go) stay attached until the host test sets board.go to V
//   guest-scenario watch-leave NAME          wait for another VM's token,
//       then for that peer to disappear from peers()
//   guest-scenario wait-go NAME V            wait until the host test sets
//       board.go to V (our slot untouched)
//   guest-scenario observe NAME --hold-go V --device ADDR
//       the read-only VM attach (ivshmem-plain): report what the library
//       says (peer id, access, interrupt mode, notify/wait errors), the host's
//       token (board.reserved[0]), write through our own read-write mapping
//       of the BAR (what QEMU must drop), then wait for go = V and report the
//       host's second token (board.reserved[2]), written while we ran
// Common option: --timeout-ms T (default 20000) bounds every wait.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "memdomain/domain.h"
#include "test_board.h"

using namespace memdomain;
using namespace memdomain::test;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

struct Args {
    std::string command, name;
    unsigned vms = 2;
    std::uint64_t hold_go = 0;
    int timeout_ms = 20000;
    std::string device;  // observe: the PCI address of the plain device
};

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "guest-scenario: %s\n", msg.c_str());
    std::exit(1);
}

void kv(const std::string& key, const std::string& value) {
    std::printf("MDTEST-KV: %s=%s\n", key.c_str(), value.c_str());
    std::fflush(stdout);
}

std::string hex(std::uint64_t v) {
    char b[32];
    std::snprintf(b, sizeof b, "0x%016" PRIx64, v);
    return b;
}

Args parse(int argc, char** argv) {
    Args a;
    if (argc < 3) die("usage: guest-scenario exchange|announce|watch-leave NAME [--vms N] [--hold-go V] [--timeout-ms T]");
    a.command = argv[1];
    a.name = argv[2];
    for (int i = 3; i < argc; ++i) {
        std::string opt = argv[i];
        if (i + 1 >= argc) die("option " + opt + " needs a value");
        const char* v = argv[++i];
        if (opt == "--vms") a.vms = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
        else if (opt == "--hold-go") a.hold_go = std::strtoull(v, nullptr, 0);
        else if (opt == "--timeout-ms") a.timeout_ms = std::atoi(v);
        else if (opt == "--device") a.device = v;
        else die("unknown option " + opt);
    }
    if (a.vms < 1 || a.vms > kBoardSlots) die("--vms out of range");
    return a;
}

// Opens by name, reports what the guest sees and claims our board slot.
struct Attached {
    Domain domain;
    TestBoard* board;
    BoardSlot* mine;
};

Attached attach(const Args& a) {
    auto d = Domain::open(a.name);
    if (!d) die("open '" + a.name + "': " + d.error().message);
    kv("self", std::to_string(d->self()));
    kv("transport", std::string(to_string(d->transport())));
    kv("interrupt_mode", std::string(to_string(d->interrupt_mode())));
    if (d->self() >= kBoardSlots) die("peer id " + std::to_string(d->self()) + " has no board slot");
    if (d->data_size() < kBoardOffset + sizeof(TestBoard)) die("data area too small for the test board");
    auto* board = reinterpret_cast<TestBoard*>(static_cast<std::byte*>(d->data()) + kBoardOffset);
    BoardSlot* mine = &board->slots[d->self()];
    std::uint64_t token = 0;
    std::random_device rd;
    while (token == 0) token = (static_cast<std::uint64_t>(rd()) << 32) | rd();
    board_word(mine->rings_received).store(0, std::memory_order_relaxed);
    board_word(mine->token).store(token, std::memory_order_relaxed);
    board_word(mine->state).store(kSlotWritten, std::memory_order_release);
    kv("wrote_token", hex(token));
    return {std::move(*d), board, mine};
}

// Peers other than us whose slot reached `state`.
std::vector<PeerId> slots_at(const Attached& at, std::uint64_t state) {
    std::vector<PeerId> ids;
    for (PeerId i = 0; i < kBoardSlots; ++i)
        if (i != at.domain.self() && board_word(at.board->slots[i].state).load(std::memory_order_acquire) >= state)
            ids.push_back(i);
    return ids;
}

template <class Pred>
bool wait_until(Clock::time_point deadline, Pred pred) {
    while (!pred()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
}

bool present(Domain& d, PeerId p) {
    auto ps = d.peers();
    return std::find(ps.begin(), ps.end(), p) != ps.end();
}

int exchange(const Args& a) {
    Attached at = attach(a);
    const auto deadline = Clock::now() + milliseconds(a.timeout_ms);
    std::vector<PeerId> others;
    if (!wait_until(deadline, [&] { return (others = slots_at(at, kSlotWritten)).size() >= a.vms - 1; }))
        die("only " + std::to_string(others.size()) + " of " + std::to_string(a.vms - 1) + " other VMs wrote a token");
    for (PeerId p : others) {
        if (!present(at.domain, p)) die("peer " + std::to_string(p) + " wrote a token but is not in peers()");
        kv("read_from_" + std::to_string(p), hex(board_word(at.board->slots[p].token).load(std::memory_order_acquire)));
    }
    // Every VM in `others` set up its doorbells before writing its slot, so
    // a ring now cannot be lost to an interrupt that is not enabled yet.
    for (PeerId p : others)
        if (auto st = at.domain.notify(p, 0); !st) die("ring peer " + std::to_string(p) + ": " + st.error().message);
    board_word(at.mine->state).store(kSlotRang, std::memory_order_release);
    std::uint64_t rings = 0;
    while (rings == 0) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) die("no doorbell received on vector 0");
        auto n = at.domain.wait(0, left);
        if (!n) die("wait on vector 0: " + n.error().message);
        rings += *n;
    }
    board_word(at.mine->rings_received).store(rings, std::memory_order_relaxed);
    board_word(at.mine->state).store(kSlotDone, std::memory_order_release);
    kv("doorbell_received", std::to_string(rings));
    // Stay until every VM got its ring, so nobody sees a peer vanish early.
    if (!wait_until(deadline, [&] { return slots_at(at, kSlotDone).size() >= a.vms - 1; }))
        die("not every VM received its doorbell in time");
    kv("exchange", "ok");
    return 0;
}

int announce(const Args& a) {
    Attached at = attach(a);
    if (a.hold_go == 0) return 0;
    const auto deadline = Clock::now() + milliseconds(a.timeout_ms);
    if (!wait_until(deadline, [&] { return board_word(at.board->go).load(std::memory_order_acquire) == a.hold_go; }))
        die("the host never set go=" + std::to_string(a.hold_go));
    kv("released", "yes");
    return 0;
}

int watch_leave(const Args& a) {
    Attached at = attach(a);
    auto deadline = Clock::now() + milliseconds(a.timeout_ms);
    std::vector<PeerId> others;
    if (!wait_until(deadline, [&] { return !(others = slots_at(at, kSlotWritten)).empty(); }))
        die("no other VM wrote a token");
    const PeerId x = others.front();
    if (!wait_until(deadline, [&] { return present(at.domain, x); }))
        die("peer " + std::to_string(x) + " wrote a token but never showed in peers()");
    (void)at.domain.events();  // start the event record from here
    kv("watching", std::to_string(x));
    deadline = Clock::now() + milliseconds(a.timeout_ms);
    // events() first: peers() would apply (and so swallow) the Left event.
    bool left_event = false;
    auto gone = [&] {
        for (const auto& e : at.domain.events())
            if (e.kind == PeerEvent::Kind::Left && e.peer == x) left_event = true;
        return !present(at.domain, x);
    };
    if (!wait_until(deadline, gone)) die("peer " + std::to_string(x) + " never left peers()");
    kv("saw_leave", std::to_string(x));
    kv("left_event", left_event ? "yes" : "no");
    return 0;
}

int wait_go(const Args& a, std::uint64_t value) {
    auto d = Domain::open(a.name);
    if (!d) die("open '" + a.name + "': " + d.error().message);
    if (d->data_size() < kBoardOffset + sizeof(TestBoard)) die("data area too small for the test board");
    auto* board = reinterpret_cast<TestBoard*>(static_cast<std::byte*>(d->data()) + kBoardOffset);
    const auto deadline = Clock::now() + milliseconds(a.timeout_ms);
    if (!wait_until(deadline, [&] { return board_word(board->go).load(std::memory_order_acquire) == value; }))
        die("the host never set go=" + std::to_string(value));
    kv("go", std::to_string(value));
    return 0;
}

// Writes `value` at `offset` of the BAR through a read-write mapping of our
// own (the library maps a plain device read-only), then reads it back.
std::uint64_t write_through_bar(const std::string& device, std::uint64_t offset, std::uint64_t value) {
    const std::string path = "/sys/bus/pci/devices/" + device + "/resource2";
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) die("open " + path + " read-write: " + std::strerror(errno));
    struct stat st {};
    ::fstat(fd, &st);
    void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) die("mmap " + path + " read-write: " + std::strerror(errno));
    auto* word = reinterpret_cast<std::uint64_t*>(static_cast<std::byte*>(p) + offset);
    board_word(*word).store(value, std::memory_order_release);
    const std::uint64_t back = board_word(*word).load(std::memory_order_acquire);
    ::munmap(p, static_cast<std::size_t>(st.st_size));
    return back;
}

int observe(const Args& a) {
    if (a.device.empty() || a.hold_go == 0) die("observe needs --device ADDR and --hold-go V");
    auto d = Domain::open(a.name);
    if (!d) die("open '" + a.name + "': " + d.error().message);
    kv("has_peer_id", d->has_peer_id() ? "yes" : "no");
    kv("self", d->peer_id() ? std::to_string(*d->peer_id()) : "none");
    kv("access", std::string(to_string(d->access())));
    kv("interrupt_mode", std::string(to_string(d->interrupt_mode())));
    kv("peers", std::to_string(d->peers().size()));
    auto st = d->notify(0, 0);
    kv("notify_errno", st ? "0" : std::to_string(st.error().sys));
    auto w = d->wait(0, milliseconds(10));
    kv("wait_errno", w ? "0" : std::to_string(w.error().sys));
    if (d->data_size() < kBoardOffset + sizeof(TestBoard)) die("data area too small for the test board");
    auto* board = reinterpret_cast<TestBoard*>(static_cast<std::byte*>(d->data()) + kBoardOffset);
    kv("read_token", hex(board_word(board->reserved[0]).load(std::memory_order_acquire)));
    // The board's reserved[1], and the header's magic: QEMU must drop both.
    const std::uint64_t board_at = d->segments()[0].data - d->segments()[0].base + kBoardOffset;
    const std::uint64_t reserved1 = board_at + offsetof(TestBoard, reserved) + sizeof(std::uint64_t);
    kv("guest_write_readback", hex(write_through_bar(a.device, reserved1, 0x5a5a5a5a5a5a5a5aull)));
    kv("guest_magic_write_readback", hex(write_through_bar(a.device, 0, 0x5858585858585858ull)));
    kv("guest_wrote", "yes");
    const auto deadline = Clock::now() + milliseconds(a.timeout_ms);
    if (!wait_until(deadline, [&] { return board_word(board->go).load(std::memory_order_acquire) == a.hold_go; }))
        die("the host never set go=" + std::to_string(a.hold_go));
    kv("live_token", hex(board_word(board->reserved[2]).load(std::memory_order_acquire)));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // wait-go takes its value as a third positional argument.
    if (argc >= 4 && std::string(argv[1]) == "wait-go") {
        std::vector<char*> rest(argv, argv + argc);
        const std::uint64_t value = std::strtoull(argv[3], nullptr, 0);
        rest.erase(rest.begin() + 3);
        return wait_go(parse(static_cast<int>(rest.size()), rest.data()), value);
    }
    const Args a = parse(argc, argv);
    if (a.command == "exchange") return exchange(a);
    if (a.command == "announce") return announce(a);
    if (a.command == "watch-leave") return watch_leave(a);
    if (a.command == "observe") return observe(a);
    die("unknown command '" + a.command + "'");
}
