// A single-producer/single-consumer packet channel between two peers of a
// domain (two processes, a process and a VM, two VMs), built in place in the
// producer's arena and found by name through the directory.
//
//   // producer                                  // consumer (maybe in a VM)
//   auto tx = ChannelProducer::create(area,      auto rx = ChannelConsumer::open(area, "link0");
//                 arena, "link0", {});           std::array<std::byte, 2048> b;
//   tx->send_copy(msgs);                         rx->recv_copy(bufs, lens);
//
// Rings of 16-byte descriptors (offset, length, flags, token) whose last
// 16 bits are a lap marker: the reader polls the marker of the next entry
// instead of a shared producer index, so four messages cost the reader one
// descriptor cache-line transfer (plus their payloads'), and indices
// written by one side sit on their own 64-byte lines:
//   - forward ring (producer -> consumer): messages;
//   - return ring (consumer -> producer, zero-copy only): buffers coming
//     back to their owner, who frees them into its own arena.
//
// Modes (fixed at create):
//   - Copy: each forward entry has its own payload slot (up to
//     slot_payload bytes, 64-byte aligned) in an array after the ring, as
//     net_memif's per-descriptor buffers: a 64-byte frame is one payload
//     line plus a quarter of a descriptor line. send_copy copies in;
//     recv_copy copies out, or peek() shows the payloads in their slots
//     and consume() gives the slots back (one copy, into the caller's own
//     buffers, with no scratch list to prepare). There are no returns.
//     peek() is the throughput path: it looks only as far as the
//     producer's published head, so it never pulls a descriptor line the
//     producer is still filling; recv_copy() and recv() poll the markers
//     alone, the latency path (no head round trip before a lone message).
//   - ZeroCopy: descriptors point at buffers anywhere in the producer's
//     arena (the library's pool from alloc(), or the application's own, e.g.
//     a DPDK mempool in that arena). The consumer reads the payload in
//     place and release()s it; the producer reclaim()s it. Every message in
//     flight holds a token (at most `slots` in flight), and the producer
//     checks each return against its private record of what it sent: a
//     hostile consumer can return only what it was given, once. With
//     inline_payload, send_copy() puts small messages in a slot of their
//     own entry instead, as copy mode does (no pool buffer, no token, no
//     return), and the consumer reads with peek()/consume() or recv_copy().
//   - Posted buffers (ZeroCopy with `posted`): the consumer lends buffers of
//     its own (post(), e.g. mbufs of a pool on its own DPDK heap) on the
//     return ring; send_copy() copies each message too big for an inline
//     slot into the oldest posted buffer when it holds it, and the consumer
//     gets its own buffer back, filled, from peek() (origin kMessagePosted, cookie as posted). One copy, made by the
//     producer, and nothing travels back: net_memif's zero-copy receive.
//     Posts are checked on both sides: the producer writes only into ranges
//     inside the arenas and outside its own arena, once per post; the
//     consumer trusts only its private record of what it posted (the
//     offset in a filled entry is ignored, the length bounded by what was
//     lent).
//
// Sleeping (Wait::Doorbell): a reader that finds nothing sets its "sleeping"
// word, issues a full fence, checks the ring again, and only then waits for
// a doorbell on its vector; the writer publishes, issues a full fence, and
// rings only if that word says the reader sleeps (and only once per sleep).
// Either the reader sees the new entry or the writer sees the word: no lost
// wake-up. The doorbell is the domain's (Domain::notify/wait,
// Domain::doorbell_fd), so an event loop can poll doorbell_fd(): call
// arm(), sleep on the fd only if it returned true, then disarm().
//
// Hostile peers: every index and descriptor read from shared memory is
// checked (indices against the ring size, offsets and lengths against the
// producer's arena or the inline slot); a bad entry is dropped and counted
// (Stats::invalid), a bad index is EBADMSG. Nothing a peer writes can make
// the other read or write outside the domain's data area.
//
// Threads: one thread per end. Ends made from one DataArea may run on
// different threads: their doorbell rings go through the DataArea, which
// serialises them on the Domain. Each end waits on its own vector, so ends
// that sleep on different threads must use different vectors, and the
// application must not call the same Domain's notify/wait meanwhile (a
// Domain is not thread-safe). The DataArea (and the producer's Arena) must
// outlive the channel.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "memdomain/arena.h"
#include "memdomain/common/result.h"
#include "memdomain/data_area.h"

namespace memdomain {

inline constexpr std::uint32_t kChannelMaxSlots = 32768;
// The cookie of a message peek() shows in its ring entry's slot (copy mode,
// and zero-copy inline messages): valid until consume(), never released.
inline constexpr std::uint64_t kChannelInlineCookie = ~std::uint64_t{0};
inline constexpr std::uint32_t kChannelLayoutVersion = 3;

enum class ChannelMode : std::uint32_t { Copy = 0, ZeroCopy = 1 };

struct ChannelConfig {
    // Entries per ring: a power of two in [2, kChannelMaxSlots].
    std::uint32_t slots = 512;
    ChannelMode mode = ChannelMode::Copy;
    // Copy: the largest message, in bytes (1..65536); each entry then takes
    // a 16-byte descriptor and a round_up(slot_payload, 64)-byte slot.
    std::uint32_t slot_payload = 2048;
    // ZeroCopy: buffers in the library's pool (alloc()/free()), each
    // pool_buffer_size bytes (a multiple of 64). 0: no pool; the application
    // sends its own buffers (anywhere in the producer's arena).
    std::uint32_t pool_buffers = 0;
    std::uint32_t pool_buffer_size = 2048;
    // ZeroCopy: send_copy() puts messages up to this many bytes (at most
    // 65536) in a slot of their own ring entry, as copy mode does: no pool
    // buffer, no token, nothing comes back. The consumer then reads with
    // peek()/consume() or recv_copy() (recv() refuses: EPERM). 0: none.
    std::uint32_t inline_payload = 0;
    // ZeroCopy: the consumer may lend up to this many buffers at once
    // (post(); at most `slots`). The return ring then has 2 * slots entries,
    // room for every return and every post. 0: no posting.
    std::uint32_t posted = 0;
    // The doorbell vectors each end sleeps on (< the domain's vectors).
    std::uint32_t consumer_vector = 0;
    std::uint32_t producer_vector = 0;
    // 0: the rings (and the pool) are allocated from the arena passed to
    // create(). Otherwise the data-area offset where the rings are built in
    // place (64-byte aligned, channel_memory_size() bytes inside the arena),
    // e.g. memory the application got from a DPDK heap on that arena.
    std::uint64_t memory_offset = 0;
    // Likewise for the pool (pool_buffers * pool_buffer_size bytes).
    std::uint64_t pool_offset = 0;
};

// Bytes the rings of `config` take (header included); 0 if it is invalid.
std::uint64_t channel_memory_size(const ChannelConfig& config);

// Where a message the consumer received lies (Message::origin).
inline constexpr std::uint16_t kMessageLent = 0;    // in the producer's arena: release() / give it back
inline constexpr std::uint16_t kMessageInSlot = 1;  // in its ring entry's slot: valid until consume()
inline constexpr std::uint16_t kMessagePosted = 2;  // in a buffer this consumer posted: its own again

// One message. Producer side: data/offset/length/flags describe a buffer in
// the producer's arena, cookie is the application's own (kept privately and
// handed back by reclaim). Consumer side: data points at the payload in
// shared memory (read-only use, until release()), origin says whose memory
// it is, and cookie is an opaque handle that release() needs (pass the
// Message back unchanged), kChannelInlineCookie for a message in its slot,
// or the cookie given to post() for a posted buffer. post() takes
// data/offset/length (the capacity)/cookie.
struct Message {
    void* data = nullptr;
    std::uint64_t offset = 0;  // data-area offset
    std::uint32_t length = 0;
    std::uint16_t flags = 0;   // carried end to end; the library uses none
    std::uint16_t origin = 0;  // consumer side: kMessageLent, kMessageInSlot, kMessagePosted
    std::uint64_t cookie = 0;
};
static_assert(sizeof(Message) == 32);

struct ChannelStats {
    std::uint64_t messages = 0;    // sent (producer) or received (consumer)
    std::uint64_t bytes = 0;
    std::uint64_t returned = 0;    // reclaimed (producer) or released (consumer)
    std::uint64_t invalid = 0;     // entries or returns dropped as malformed
    std::uint64_t wakeups = 0;     // doorbells this end rang
    std::uint64_t sleeps = 0;      // times this end waited on its doorbell
    std::uint64_t posted = 0;      // filled into posted buffers (producer) or posted (consumer)
};

namespace detail {
struct ChannelShared;
}

class ChannelProducer {
public:
    // Builds the channel in `arena` (see ChannelConfig::memory_offset) and
    // publishes it as `name` (directory type kDirectoryTypeChannel). Errors:
    //   EINVAL   bad config (slots not a power of two or out of range, a
    //            payload or buffer size out of range, a vector >= the
    //            domain's vectors, memory_offset/pool_offset misaligned or
    //            not inside the arena), bad name
    //   ENOMEM   the arena cannot hold the rings or the pool
    //   EEXIST   a live channel (or other entry) of that name exists
    //   ENOSPC   the directory is full
    //   EROFS    read-only peer
    static Result<ChannelProducer> create(DataArea& area, Arena& arena, std::string_view name,
                                          const ChannelConfig& config = {});
    ChannelProducer(ChannelProducer&&) noexcept;
    ChannelProducer& operator=(ChannelProducer&&) noexcept;
    // Withdraws the name and frees what create() allocated.
    ~ChannelProducer();

    // Copies each buffer into the ring (Copy: into its entry's slot;
    // ZeroCopy: into its entry's slot when it fits, else the oldest buffer
    // the consumer posted when it fits, else a pool buffer). Returns how
    // many were sent from the front (0: the ring, the pool and the posts
    // are used up). EMSGSIZE if a buffer is longer than a slot (nothing
    // sent), ENOBUFS (ZeroCopy without a pool, inline slots or posting),
    // EBADMSG (the consumer's index is corrupt).
    Result<std::uint32_t> send_copy(std::span<const std::span<const std::byte>> buffers);
    // ZeroCopy: takes up to out.size() pool buffers (data, offset, length =
    // pool_buffer_size). Returns how many. ENOBUFS without a pool, EPERM in
    // Copy mode.
    Result<std::uint32_t> alloc(std::span<Message> out);
    // Returns pool buffers that were never sent (or were reclaimed). EINVAL
    // if one is not a pool buffer or is free already (nothing changes).
    Status free(std::span<const Message> buffers);
    // ZeroCopy: enqueues messages whose [offset, offset + length) lies in
    // the producer's arena. Returns how many from the front (0: full, or
    // `slots` messages in flight). EINVAL (a range outside the arena:
    // nothing sent), EPERM (Copy mode), EBADMSG (corrupt consumer index).
    Result<std::uint32_t> send(std::span<const Message> messages);
    // ZeroCopy: the messages the consumer has released, with the producer's
    // own data/offset/length/flags/cookie. Returns how many. Returns that do
    // not match an in-flight message are dropped (Stats::invalid).
    Result<std::uint32_t> reclaim(std::span<Message> out);
    // ZeroCopy: messages of send() that reclaim() has not given back yet
    // (with the consumer, or back and waiting). 0 means reclaim() has
    // nothing to give: a caller can skip it without reading shared memory.
    std::uint32_t outstanding() const;

    // Waits up to `timeout` (negative: forever) until there is room in the
    // ring or a return to reclaim, sleeping on the producer's doorbell
    // vector. Returns true when there is, false on timeout.
    Result<bool> wait_writable(std::chrono::milliseconds timeout);

    // For event loops on doorbell_fd(), as ChannelConsumer::arm/disarm:
    // true means sleep now; false means there is room or a return already.
    Result<bool> arm();
    void disarm();

    // Messages sent that the consumer has not taken off the ring yet (its
    // position as last published; a corrupt one reads as 0). For a clean
    // stop: wait until this is 0 before closing.
    std::uint32_t unread() const;

    // Whether a consumer is attached and live.
    bool consumer_alive() const;
    // After the consumer died: takes back every message it held, drops what
    // it had not read, and frees the consumer end for a new consumer to open.
    // The held messages come back through reclaim(). EBUSY while the
    // consumer is live; 0 if no consumer was ever attached.
    Result<std::uint32_t> recover();

    std::uint64_t offset() const;  // data-area offset of the channel
    const ChannelConfig& config() const;
    ChannelStats stats() const;
    int doorbell_fd() const;  // Domain::doorbell_fd(producer_vector)

private:
    struct State;
    explicit ChannelProducer(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

class ChannelConsumer {
public:
    // Looks up `name`, validates the channel header (against what this peer
    // computes from it, and the producer's arena), and attaches as its
    // consumer. Errors:
    //   ENOENT   no live entry of that name
    //   EPROTO   the entry is not a channel (type), or its header is invalid
    //   EPROTONOSUPPORT  another channel layout version
    //   EBUSY    a live consumer is attached, or a dead one has not been
    //            recovered by the producer yet
    //   EOWNERDEAD  the producer is no longer live
    //   EROFS    read-only peer
    static Result<ChannelConsumer> open(DataArea& area, std::string_view name);
    ChannelConsumer(ChannelConsumer&&) noexcept;
    ChannelConsumer& operator=(ChannelConsumer&&) noexcept;
    // Detaches (the producer may then accept another consumer).
    ~ChannelConsumer();

    // Copies up to into.size() messages out (each truncated to its buffer;
    // lengths[i] is the message's full length). lengths.size() >=
    // into.size(). Returns how many (0: empty). ZeroCopy messages are
    // released as they are copied.
    Result<std::uint32_t> recv_copy(std::span<const std::span<std::byte>> into, std::span<std::uint32_t> lengths);
    // Up to out.size() messages without taking them off the ring. A message
    // in its entry's slot (copy mode; zero-copy inline) has cookie
    // kChannelInlineCookie and is valid until consume(); a zero-copy
    // message in place is valid until release(), as from recv(). Entries
    // with impossible lengths or ranges are skipped and counted invalid (a
    // zero-copy one at the front goes straight back to its producer, as in
    // recv()). Peeking again before consume() shows the same messages (and
    // any new ones).
    Result<std::uint32_t> peek(std::span<Message> out);
    // Takes everything the last peek() showed off the ring; the producer
    // may reuse those slots from then on. With give_back, hands those
    // zero-copy messages back first, as release() does (all or none), under
    // the same fence. EINVAL when nothing was peeked since the last
    // consume(), recv() or recv_copy().
    Status consume(std::span<const Message> give_back = {});
    // ZeroCopy: up to out.size() messages, payload in place. Returns how
    // many. EPERM in Copy mode, and on a channel with inline slots.
    Result<std::uint32_t> recv(std::span<Message> out);
    // The same, after handing give_back back as release() does (all or
    // none; its errors, and then nothing is received): one fence and at
    // most one doorbell for both.
    Result<std::uint32_t> recv(std::span<Message> out, std::span<const Message> give_back);
    // Posting (a channel made with `posted`): lends the producer buffers
    // of this consumer's own, each [offset, offset + length) inside the
    // arenas and outside the producer's arena (data = the area's bytes at
    // offset; cookie is ours). They come back filled through peek(), with
    // origin kMessagePosted and their cookie (the length is the message's).
    // Returns how many from the front were posted (bounded by `posted`
    // outstanding and the return ring's room). A consumer that posts reads
    // with peek()/consume() only (recv() and recv_copy() are EPERM while
    // buffers are lent). EPERM (no posting on this channel), EINVAL (a
    // range outside the arenas, inside the producer's, or empty: nothing
    // posted), EBADMSG (the producer's index is corrupt).
    Result<std::uint32_t> post(std::span<const Message> buffers);
    // The buffers lent and not yet come back (for a clean stop: the
    // producer may still write them until it sees this consumer gone, and
    // a dead producer never will). Returns how many, up to out.size().
    std::uint32_t lent(std::span<Message> out) const;

    // ZeroCopy: hands messages from recv() back to the producer, all or
    // none. EPERM in Copy mode, EINVAL for more messages than the ring
    // holds, EAGAIN when the return ring has no room (only a producer that
    // stopped reclaiming fills it: at most `slots` messages are in flight),
    // EBADMSG if the producer's index is corrupt.
    Status release(std::span<const Message> messages);

    // Waits up to `timeout` (negative: forever) for a message, sleeping on
    // the consumer's doorbell vector. Returns true when one is there.
    Result<bool> wait_readable(std::chrono::milliseconds timeout);
    // For event loops on doorbell_fd(): arm() announces that we sleep and
    // re-checks the ring: true means sleep now (poll the fd), false means a
    // message is already there (do not sleep). disarm() after waking (or
    // instead of sleeping) clears the announcement and drains the doorbell.
    Result<bool> arm();
    void disarm();
    int doorbell_fd() const;  // Domain::doorbell_fd(consumer_vector)

    // Whether the producer is still live (its channel memory is valid).
    bool producer_alive() const;
    const ChannelConfig& config() const;
    ChannelStats stats() const;

private:
    struct State;
    explicit ChannelConsumer(std::unique_ptr<State> s);
    std::unique_ptr<State> s_;
};

}  // namespace memdomain
