// net_memdomain's internal state: one port (PortPrivate, the ethdev's
// dev_private), its queues, and the record each end publishes in the
// domain's directory. The design and the comparison with net_memif are in
// docs/dpdk.md; in short:
//
//   - Both ends open the same domain; each claims one of the link's two
//     roles by publishing "netmd.<link>.a" (or, when that is live, ".b") in
//     the directory. The entry points at a PortInfo in the publisher's own
//     arena. A third end on the same link is refused (EBUSY): it names
//     another link with link=NAME.
//   - Each end is the producer of one channel per Tx queue,
//     "netmd.<link>.<role>.<q>", built in its own arena (so its DPDK heap),
//     and the consumer of the other end's channel with the same index for
//     its Rx queue q.
//   - A monitor (an EAL alarm every 100 ms) opens the other end's channels
//     when they appear, closes them when their producer is gone, recovers
//     ours when their consumer is gone, and sets the link: up while the
//     other role is live and every queue pair is connected; an LSC event on
//     each change.
//
// Everything read from shared memory (the other PortInfo, channel entries)
// is bounded before use; see pmd_link.cpp and the datapath library.
#pragma once

#include <ethdev_driver.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "heap_registry.h"
#include "memdomain/channel.h"
#include "memdomain/directory.h"
#include "shared_domain.h"

namespace memdomain::dpdk::pmd {

inline constexpr std::uint16_t kMaxQueues = 16;
inline constexpr std::uint16_t kBurst = 64;            // per channel call
inline constexpr std::uint32_t kDefaultRingSize = 1024;
inline constexpr std::uint32_t kMaxFrame = 2048;       // slot payload / pool buffer
// Zero-copy: frames up to this size travel in their ring entry's slot and
// are copied out on Rx (cheaper than a pool buffer, a token, an external
// buffer and a return for them).
inline constexpr std::uint32_t kInlineFrame = 256;
// Zero-copy Rx posts buffers (mbufs of its own pool on our domain heap) in
// batches of at least this many, up to the ring size outstanding.
inline constexpr std::uint32_t kPostBatch = 32;
inline constexpr std::uint32_t kPortInfoMagic = 0x504d444e;  // "NDMP"
inline constexpr std::uint16_t kPortInfoVersion = 1;
inline constexpr std::uint32_t kDirTypePort = 0x4e4d5030;    // "NMP0"

// The devargs (pmd_devargs.cpp).
struct Devargs {
    std::string domain;               // domain=NAME (required)
    std::string link = "0";           // link=NAME: which pair in the domain
    std::string socket_dir;           // socket-dir=DIR ("": libmemdomain's default)
    bool zero_copy = false;           // zero-copy=yes|no
    std::uint32_t ring_size = kDefaultRingSize;  // ring-size=N: slots per channel
    std::uint64_t arena_bytes = 0;    // arena-size=N (MiB): this process's arena on the domain
};
Result<Devargs> parse_devargs(const char* args);
extern const char* const kDevargsHelp;

// What each end publishes about itself, in its own arena. Written only by
// its owner; the other end reads it through a bounded copy (read_port_info).
struct alignas(64) PortInfo {
    std::uint32_t magic;        // kPortInfoMagic
    std::uint16_t version;      // kPortInfoVersion
    std::uint16_t flags;        // kPortInfoZeroCopy
    std::uint16_t rx_queues;
    std::uint16_t tx_queues;
    std::uint32_t max_frame;
    std::uint8_t mac[6];
    std::uint8_t pad0[2];
    std::uint64_t reserved[5];
};
inline constexpr std::uint16_t kPortInfoZeroCopy = 1;
static_assert(sizeof(PortInfo) == 64);
static_assert(offsetof(PortInfo, max_frame) == 12);
static_assert(offsetof(PortInfo, mac) == 16);

struct PortPrivate;

// One Rx queue: the consumer end of the other role's channel q.
struct RxQueue {
    PortPrivate* port = nullptr;
    std::uint16_t qid = 0;
    rte_mempool* mp = nullptr;
    // Held by every burst (uncontended: one lcore per queue) and by whoever
    // swaps ch (the monitor tries it, never spins on it).
    rte_spinlock_t lock = RTE_SPINLOCK_INITIALIZER;
    std::optional<ChannelConsumer> ch;
    bool ch_zero_copy = false;          // the channel is ZeroCopy and we keep payloads in place
    // Zero-copy: mbufs allocated ahead, kept across bursts.
    std::array<rte_mbuf*, kBurst> stash{};
    std::uint16_t stashed = 0;
    // Per-burst scratch, here rather than on the stack: Messages have
    // initialisers, and zeroing them on every (mostly empty) poll was a
    // quarter of the Rx lcore's time.
    std::array<Message, kBurst> msgs;
    // Zero-copy: messages to hand back with the next consume (lent small
    // frames copied out, freed zero-copy mbufs); kept across bursts only
    // when a hand-back failed.
    std::array<Message, 2 * kBurst> back;
    std::uint32_t nback = 0;
    // Zero-copy: one slot per message in flight (ring size), its extbuf
    // shared info, and an MP/SC ring of slots whose mbufs were freed (on any
    // lcore) and whose messages go back on the next burst.
    struct ZcSlot {
        rte_mbuf_ext_shared_info shinfo;
        Message msg;
        RxQueue* q;
        std::uint32_t generation;  // of the consumer the message came from
    };
    std::vector<ZcSlot> zc;
    std::vector<std::uint32_t> zc_free;  // private free list of slot indices
    rte_ring* zc_done = nullptr;
    std::uint32_t generation = 0;        // bumped each time ch is (re)opened
    // Zero-copy: buffers we lend the other end's producer (ChannelConsumer::
    // post): mbufs of this pool on our domain heap, filled by the producer
    // and handed to the application as they are. nposted are lent now;
    // `quarantine` holds those a dropped channel still lent, freed at the
    // next open (the old producer drops posts of a consumer that left
    // before its next batch).
    rte_mempool* post_mp = nullptr;
    bool ch_posting = false;             // the channel takes posts and we have the pool
    std::uint32_t nposted = 0;
    std::vector<rte_mbuf*> quarantine;
    std::array<Message, kBurst> posts;
    // Rx interrupts.
    int intr_fd = -1;       // dup of the domain's doorbell fd for our vector
    bool intr_armed = false;
    std::uint32_t vector = 0;
    // Counters (this queue's lcore only).
    std::uint64_t packets = 0, bytes = 0, nombuf = 0, oversized = 0, zero_copy = 0, posted_rx = 0;
};

// One Tx queue: the producer end of our channel q.
struct TxQueue {
    PortPrivate* port = nullptr;
    std::uint16_t qid = 0;
    rte_spinlock_t lock = RTE_SPINLOCK_INITIALIZER;  // as RxQueue::lock
    std::optional<ChannelProducer> ch;
    // Set by the monitor: a live consumer is attached, so bursts may send.
    bool connected = false;
    void* memory = nullptr;             // the rings, on our domain heap
    void* pool = nullptr;               // zero-copy pool buffers, on our domain heap
    std::vector<void*> retired;         // memory of earlier channels, freed at close
    std::array<std::array<std::uint8_t, kMaxFrame>, 8>* scratch = nullptr;  // multi-segment linearising
    // Per-burst scratch (see RxQueue::into).
    std::array<std::span<const std::byte>, kBurst> bufs;
    std::array<Message, kBurst> msgs;
    std::uint64_t packets = 0, bytes = 0, full = 0, link_down = 0, oversized = 0, zero_copy = 0, copied = 0;
    // Frames sent in place that the other end still held when the port
    // stopped: their mbufs never went back to the pool.
    std::uint64_t unreturned = 0;
};

struct PortPrivate {
    // The control plane's lock: start, stop and the monitor (never a burst).
    rte_spinlock_t ctl = RTE_SPINLOCK_INITIALIZER;
    Devargs args;
    std::string name;  // the vdev name
    std::uint16_t port_id = 0;
    rte_eth_dev* dev = nullptr;
    std::shared_ptr<SharedDomain> shared;
    std::shared_ptr<DomainHeap> heap;
    rte_ether_addr mac{};
    // Pairing (pmd_link.cpp).
    char role = 0;                       // 'a' or 'b' while started
    PortInfo* info = nullptr;            // ours, on our heap
    std::optional<PortInfo> peer_info;   // a validated copy of the other end's
    bool started = false;
    bool link_up = false;
    std::uint64_t link_changes = 0;
    std::array<RxQueue*, kMaxQueues> rxq{};
    std::array<TxQueue*, kMaxQueues> txq{};
    rte_intr_handle* intr = nullptr;     // Rx interrupt efds (pmd_intr.cpp)
};

inline PortPrivate* priv(rte_eth_dev* dev) { return static_cast<PortPrivate*>(dev->data->dev_private); }

// Names in the directory.
std::string role_entry(const PortPrivate& p, char role);
std::string channel_entry(const PortPrivate& p, char role, std::uint16_t q);

// pmd_ops.cpp
extern const eth_dev_ops kOps;
// Frees the queues, drops the heap and the attachment, and destroys *p in
// place (dev_private itself is freed by ethdev).
void port_teardown(PortPrivate* p);

// pmd_link.cpp: pairing, the monitor and the link.
int link_start(rte_eth_dev* dev);          // claims a role, builds our channels, starts the monitor
void link_stop(rte_eth_dev* dev);          // drains, withdraws, closes, stops the monitor
// One pass of the monitor (under p->ctl); false when a queue was busy and
// the pass should be repeated soon.
bool monitor_once(rte_eth_dev* dev);
int link_update(rte_eth_dev* dev, int wait_to_complete);

// pmd_rxtx.cpp
std::uint16_t rx_burst(void* queue, rte_mbuf** pkts, std::uint16_t n);
std::uint16_t tx_burst(void* queue, rte_mbuf** pkts, std::uint16_t n);
// Zero-copy: frees the mbufs of in-place frames the other end handed back.
void tx_reclaim(TxQueue* q);
// Zero-copy: hands back what the application freed since the last burst
// (a stopping port still owes the other end's stop these).
void rx_queue_hand_back(RxQueue* q);
void rx_queue_drop_channel(RxQueue* q);    // returns in-place messages, closes the consumer
void rx_queue_attached(RxQueue* q);        // the monitor opened q->ch
int rx_queue_zc_init(RxQueue* q);          // the zero-copy slot table and done ring
void rx_queue_free(RxQueue* q);

// pmd_intr.cpp
int intr_install(rte_eth_dev* dev);
void intr_uninstall(rte_eth_dev* dev);
int rx_intr_enable(rte_eth_dev* dev, std::uint16_t qid);
int rx_intr_disable(rte_eth_dev* dev, std::uint16_t qid);
void intr_rearm_after_attach(RxQueue* q);  // the monitor attached a consumer to an armed queue

// pmd_xstats.cpp
int stats_get(rte_eth_dev* dev, rte_eth_stats* st);
int stats_reset(rte_eth_dev* dev);
int xstats_get_names(rte_eth_dev* dev, rte_eth_xstat_name* names, unsigned size);
int xstats_get(rte_eth_dev* dev, rte_eth_xstat* xs, unsigned n);
int xstats_reset(rte_eth_dev* dev);

}  // namespace memdomain::dpdk::pmd
