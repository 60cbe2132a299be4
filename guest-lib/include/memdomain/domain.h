// libmemdomain's C++ API: open a named memory domain and use it.
//
//   auto d = memdomain::Domain::open("MainMem");      // host or guest alike
//   if (!d) { std::cerr << d.error().message; ... }
//   std::memcpy(d->data(), "hello", 5);
//   d->notify(peer, 0);                               // ring peer's vector 0
//   d->wait(0, std::chrono::milliseconds(100));       // wait for our vector 0
//
// Two transports sit behind one API:
//   - socket: on a host (process, container). Connects to
//     "<socket dir>/<name>.sock" (segment 0, which carries the doorbells
//     and peer events) and "<name>@<i>.sock" for each further segment, and
//     speaks the ivshmem server protocol on each (see
//     memdomain/common/ivshmem_protocol.h). Doorbells are eventfds.
//   - pci:    inside a VM. Finds ivshmem PCI devices (1af4:1110) under a sysfs
//     root, reads the segment header in BAR2 to learn the domain's name, and
//     rings doorbells through BAR0. Interrupts via vfio MSI-X, else polling.
//     One device per segment.
// Transport::Auto tries the socket directory first, then PCI.
//
// Every segment of one open domain comes from one instance of it (the same
// generation). A segment whose header has a map_address (the config's
// "vaddr") is mapped exactly there or open() fails with EEXIST.
//
// Keeping up with the server: the server queues every join and leave for
// every peer and drops a peer that does not read them. On the socket
// transport a Domain therefore reads its connections on a background thread
// ("md-reader", one per Domain) by default, whatever the application calls:
// a process that only waits for doorbells, or busy-polls memory and calls
// nothing at all, stays attached. What is kept for events() and peers() is
// bounded by max_peers (coalesced per peer), however many peers come and go.
// OpenOptions::reader_thread = false opts out; see there for the contract.
// docs/guest-library.md has the details (fork, thread affinity).
//
// Every fallible call returns Result<T> (memdomain/common/result.h); nothing
// throws. A Domain is not thread-safe: use one per thread, or lock (its
// reader thread never touches what the application sees without its lock).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/common/segment_header.h"

namespace memdomain {

using PeerId = std::uint32_t;
// What self() says when this process has no peer id: a read-only observer
// (a guest whose device is ivshmem-plain). Never a valid id (ids < 1024).
inline constexpr PeerId kNoPeerId = 0xffffffffu;
// The most one wait() reports. The count comes from an eventfd or a mailbox
// word that any peer can write anything to, so it is a hint ("at least one
// ring, perhaps many"), bounded so that it is never a dangerous loop bound
// and always fits md_wait's int64_t.
inline constexpr std::uint64_t kMaxWaitCount = std::uint64_t{1} << 20;

enum class Access { ReadOnly, ReadWrite };
enum class TransportKind { Auto, Socket, Pci };
// How wait() learns of a doorbell.
enum class InterruptMode {
    Eventfd,   // socket transport: the server-distributed eventfd
    VfioMsix,  // pci transport, device bound to vfio-pci: MSI-X eventfds
    Polling,   // pci transport without vfio: the mailbox word in the segment
    None,      // no doorbells at all: a read-only observer (ivshmem-plain)
};

std::string_view to_string(Access a);
std::string_view to_string(TransportKind t);
std::string_view to_string(InterruptMode m);
std::string_view to_string(InstanceKind k);  // "shared", "local", "numa"

struct OpenOptions {
    TransportKind transport = TransportKind::Auto;
    // Socket transport: empty means $MEMDOMAIN_SOCKET_DIR, else /run/memdomain.
    std::string socket_dir;
    // PCI transport: empty means $MEMDOMAIN_SYSFS_ROOT, else /sys.
    std::string sysfs_root;
    // How long to wait for the server's initial messages.
    std::chrono::milliseconds timeout{5000};
    // Socket transport: read what the server sends on a background thread
    // (the default). false: no thread. Then every call reads what is
    // pending first, and wait() also reads while it blocks, so a process
    // that calls wait() or notify() (or anything else) regularly stays
    // attached; one that calls nothing for a long time (a busy poller) must
    // call refresh() at least every few hundred joins/leaves of other peers
    // (before the server's max_queued_messages fills up), or the server
    // drops it. The reason to opt out: a process that must not have extra
    // threads (seccomp, strict core isolation). Ignored by the pci transport
    // (nothing to read).
    bool reader_thread = true;
};

// A join or leave seen since the last call to Domain::events(). Events are
// coalesced per peer id, so that what is kept stays bounded however many
// peers come and go: per id, in the order they happened, at most
//   Left          the peer you were last told of has gone,
//   Joined, Left  one pair standing for every peer that came and went since,
//   Joined        the peer there now (new to you);
// ids in ascending order.
struct PeerEvent {
    enum class Kind { Joined, Left } kind;
    PeerId peer;
};

// One mapped segment of a domain, as its header describes it.
struct SegmentView {
    std::uint32_t index = 0;
    std::byte* base = nullptr;  // start of the segment (its header)
    std::size_t size = 0;       // whole segment
    std::byte* data = nullptr;  // start of the data area
    std::size_t data_size = 0;
    std::uint64_t page_size = 0;
    Access access = Access::ReadOnly;
    // 0: mapped wherever the kernel chose. Otherwise the address the
    // domain's config ("vaddr") requires, and base == this address: open()
    // fails with EEXIST rather than map the segment anywhere else.
    std::uint64_t map_address = 0;
    int numa_node = -1;  // the NUMA node of a numa instance (bound there unless the server runs on a fake topology), else -1
    InstanceKind instance_kind = InstanceKind::Shared;
    std::uint32_t instance_flags = 0;  // kInstancePrefaulted | kInstanceContiguous
};

// What a transport offers without attaching: socket files in the socket
// directory, or ivshmem devices under the sysfs root whose header is valid.
struct DomainListing {
    std::string name;
    TransportKind transport = TransportKind::Socket;
    std::string location;  // socket path, or PCI address ("0000:00:04.0")
    std::uint32_t segment = 0;  // segment index (from the socket name or header)
    // Empty for a domain. list_domains_and_problems() also lists ivshmem
    // devices that carry no valid domain, with the reason here ("not a
    // memdomain: bad magic ..."); `name` is then what the header claims, if
    // anything.
    std::string problem;
};
// Lists what Auto would find (socket directory, then PCI). Never attaches.
Result<std::vector<DomainListing>> list_domains(const OpenOptions& options = {});
// The same, plus one entry per ivshmem device that does not carry a valid
// domain (bad header, unreadable BAR), with `problem` set: so that a device
// is never silently missing from a listing.
Result<std::vector<DomainListing>> list_domains_and_problems(const OpenOptions& options = {});

namespace detail {
class Transport;
}

class Domain {
public:
    // Attaches to every segment of domain `name`. Errors: EINVAL (bad name,
    // invalid header, a segment of another domain), ENOENT (no transport
    // offers the domain), EACCES (the server refused this process), ENODEV
    // (a segment of the domain is missing), EEXIST (the address a segment
    // must be mapped at is taken in this process), EAGAIN (the domain was
    // re-created while its segments were being opened: retry), EPROTO,
    // ETIMEDOUT, or the system error of the step that failed.
    static Result<Domain> open(std::string_view name, const OpenOptions& options = {});

    Domain(Domain&&) noexcept;
    Domain& operator=(Domain&&) noexcept;
    ~Domain();

    std::string_view name() const;
    TransportKind transport() const;
    InterruptMode interrupt_mode() const;

    // The data area of segment 0 (what most applications want; the others
    // are in segments()).
    void* data() const;
    std::size_t data_size() const;
    std::uint64_t page_size() const;
    Access access() const;
    // Every segment, in index order (segments()[i].index == i).
    const std::vector<SegmentView>& segments() const;
    // A validated copy of segment 0's header, re-read from memory.
    Result<SegmentHeader> header() const;
    std::uint64_t generation() const;

    // Our peer id; kNoPeerId when has_peer_id() is false.
    PeerId self() const;
    // false for a read-only observer: a guest whose device is ivshmem-plain
    // (the read-only VM attach: no doorbells, no MSI-X, and an IVPosition of
    // 0 that is not ours). An observer sees the memory (read-only) and the
    // peers, and cannot ring or be rung: notify() and wait() say ENOTSUP.
    bool has_peer_id() const;
    // self() when has_peer_id(), else nullopt.
    std::optional<PeerId> peer_id() const;
    std::uint32_t vectors() const;
    // Every other attached peer, ascending. Processes pending joins/leaves first.
    std::vector<PeerId> peers();
    // Joins and leaves since the last call (processes pending messages first).
    std::vector<PeerEvent> events();
    // Processes pending joins and leaves (kept for events()) and says whether
    // the domain is still served: ECONNRESET once the server has hung up. The
    // memory stays mapped and usable either way, as it does for QEMU.
    Status refresh();

    // Rings `peer` on `vector`. Errors: EINVAL (vector out of range), ENOENT
    // (no such peer attached), EACCES (this process attached read-only: a
    // read-only mapping cannot bump the mailbox word that guests without
    // interrupts watch, so read-only peers ring nobody), ENOTSUP (an
    // observer: no doorbells), or the system error of the doorbell write.
    Status notify(PeerId peer, std::uint32_t vector);
    // Waits for a doorbell on our own `vector`. Returns how many rings arrived
    // (coalesced, 1..kMaxWaitCount), or 0 on timeout. A negative timeout
    // waits forever. ENOTSUP for an observer.
    Result<std::uint64_t> wait(std::uint32_t vector, std::chrono::milliseconds timeout);
    // A pollable fd that becomes readable when our `vector` is rung (-1 in
    // polling mode). After it polls readable, call wait(vector, 0ms).
    int doorbell_fd(std::uint32_t vector) const;
    // A pollable fd that becomes readable when peer events are pending (-1 if
    // the transport has none); then call events() or peers(). It stays
    // readable once the server has hung up.
    int event_fd() const;
    // The Linux thread id of the background reader (socket transport), to
    // move it with sched_setaffinity; -1 when there is none (pci transport,
    // reader_thread = false, or the child of a fork()).
    int reader_tid() const;

private:
    explicit Domain(std::unique_ptr<detail::Transport> t);
    std::unique_ptr<detail::Transport> t_;
};

}  // namespace memdomain
