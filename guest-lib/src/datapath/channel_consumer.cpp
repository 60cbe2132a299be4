// The consumer end: finding a channel by name and checking everything about
// it before use, then receiving (copy or in place) and returning buffers.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>

#include "channel_view.h"
#include "directory_ops.h"

namespace memdomain {

using namespace detail;

struct ChannelConsumer::State {
    ChannelView v;
    std::uint64_t attach_word = 0;
    std::uint64_t cons = 0;            // next forward position
    std::uint64_t ret_prod = 0;        // next return position
    std::uint64_t ret_tail_cache = 0;  // the producer's ret_tail, as last read
    ChannelStats stats;
    // The last peek(): from cons to peek_end, what it showed (counted into
    // stats at consume()). peek_start != cons means nothing to consume.
    std::uint64_t peek_start = ~std::uint64_t{0}, peek_end = 0;
    std::uint32_t peek_messages = 0, peek_invalid = 0;
    std::uint64_t peek_bytes = 0;

    // Posting: our private record of each post token (what we lent; a
    // filled entry is read against it alone), the free tokens, the tokens
    // whose entries the last peek() showed (freed at consume()) or found
    // with an impossible length (re-posted by the next post()), and the tag
    // our posts carry.
    struct Lent {
        std::uint64_t offset = 0;
        std::uint64_t cookie = 0;
        std::uint32_t capacity = 0;
        bool out = false;     // lent and not come back
        bool peeked = false;  // shown or dropped by the current peek
    };
    std::vector<Lent> lent;
    std::vector<std::uint16_t> free_posts, repost, peek_filled, peek_repost;
    std::uint32_t nlent = 0;
    std::uint16_t tag = 0;

    // peek(): how many entries from cons a batch may look at: as many as
    // the producer says it published (its head, stored after each batch).
    // So we never pull a descriptor line the producer is still filling,
    // which would make it fetch the line back for its next entry: a third
    // more messages per second through net_memdomain, measured. The head is
    // only a hint: each entry's marker still decides, and an impossible head
    // (behind us, or more than a ring ahead) is ignored. recv_copy() and
    // recv() read markers only: a lone message then costs no round trip for
    // the head first (a busy-poll ping-pong is a fifth slower with it).
    std::uint32_t published() const {
        const std::uint64_t head = word64(&v.hdr->fwd_head).load(std::memory_order_acquire);
        return head >= cons && head - cons <= v.slots ? static_cast<std::uint32_t>(head - cons) : v.slots;
    }
    bool has_message(std::memory_order order) const {
        std::uint64_t w1;
        return v.ready(v.fwd_entry(cons), cons, w1, order);
    }
    // Room for `want` returns (EBADMSG: the producer's tail is impossible).
    Result<std::uint32_t> ret_room(std::uint32_t want);
    void put_return(std::uint64_t offset, std::uint32_t length, std::uint16_t token, std::uint16_t kind = 0);
    // peek(): a forward entry with a post token; fills m when it may be
    // shown, else counts it (and keeps a lent buffer for re-posting).
    bool take_filled(std::uint16_t token, std::uint32_t len, Message& m, std::uint32_t& invalid);
    // The end of a peek's posts: shown ones are the application's again
    // (consumed) or stay lent (not).
    void settle_peeked_posts(bool consumed);
    Status no_posts_lent(const char* what) const;
    // Puts messages on the return ring, all or none (release()'s checks);
    // the caller publishes with finish_batch.
    Status give_back(std::span<const Message> messages);
    // After a batch: publish our positions and ring a sleeping producer.
    void finish_batch(bool consumed, bool returned);
};

namespace {

Error chan_error(int err, const std::string& what) { return make_error("channel: " + what, err); }

// A number for each open() in this process, mixed with the time (another
// process reusing our attachment draws from its own): see kConsumerOpenMask.
std::uint64_t next_open_number() {
    static std::atomic<std::uint64_t> counter{
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) * 0x9e3779b97f4a7c15ull};
    return counter.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed) >> 20;
}

// A message into the caller's buffer, truncated to it (an empty buffer, or
// an empty message, may come with no data pointer at all).
void copy_out(std::span<std::byte> into, const std::byte* from, std::uint32_t len) {
    const std::size_t n = std::min<std::size_t>(len, into.size());
    if (n != 0) std::memcpy(into.data(), from, n);
}

// Everything the consumer will rely on, from the header's first line,
// checked against the directory entry and our own geometry.
Result<ChannelView> check_channel(AreaCore& core, const DirectoryEntry& e) {
    if (e.type != kDirectoryTypeChannel) return chan_error(EPROTO, "'" + e.name + "' is not a channel");
    if (e.offset % 64 != 0 || e.size < kChannelHeaderSize)
        return chan_error(EPROTO, "'" + e.name + "' has a misaligned or short range");
    ChannelHeader h;
    copy_from_shared(&h, core.data + e.offset, 64);
    if (std::memcmp(h.magic, kChannelMagic, sizeof h.magic) != 0)
        return chan_error(EPROTO, "'" + e.name + "' has no channel magic");
    if (h.layout_version != kChannelLayoutVersion)
        return chan_error(EPROTONOSUPPORT, "'" + e.name + "' has channel layout " + std::to_string(h.layout_version) +
                                               ", this library " + std::to_string(kChannelLayoutVersion));
    const auto mode = static_cast<ChannelMode>(h.mode);
    const bool posting = (h.flags & kChannelFlagPosting) != 0;
    const ChannelGeometry g = channel_geometry(mode, h.slots, h.slot_payload, posting);
    if (h.header_size != kChannelHeaderSize || !g.ok || g.slot_stride != h.slot_stride ||
        g.total > e.size || (h.flags & ~kChannelFlagPosting) != 0)
        return chan_error(EPROTO, "'" + e.name + "' has an inconsistent header (slots " + std::to_string(h.slots) +
                                      ", mode " + std::to_string(h.mode) + ")");
    if (h.consumer_vector >= core.port->vectors() || h.producer_vector >= core.port->vectors())
        return chan_error(EPROTO, "'" + e.name + "' names a vector the domain does not have");
    if (h.producer != pack(e.owner)) return chan_error(EPROTO, "'" + e.name + "' was built by another peer");
    if (mode == ChannelMode::ZeroCopy &&
        (h.region_size == 0 || h.region_offset < core.geo.arena_offset || h.region_offset > core.arena_area_end() ||
         h.region_size > core.arena_area_end() - h.region_offset))
        return chan_error(EPROTO, "'" + e.name + "' has a buffer region outside the arenas");
    ChannelView v;
    v.place(core, e.offset, g, h.slots, mode);
    v.slot_payload = h.slot_payload;
    v.region_offset = h.region_offset;
    v.region_size = h.region_size;
    v.producer = e.owner;
    v.config.slots = h.slots;
    v.config.mode = mode;
    v.config.slot_payload = mode == ChannelMode::Copy ? h.slot_payload : 0;
    v.config.inline_payload = mode == ChannelMode::ZeroCopy ? h.slot_payload : 0;
    v.config.pool_buffers = 0;
    // How many posts the producer takes (written once, before publishing).
    const std::uint32_t posted = word32(&core.data[e.offset + offsetof(ChannelHeader, posted)]).load(std::memory_order_relaxed);
    if (posting ? posted == 0 || posted > h.slots || posted >= kPostedTokenBit : posted != 0)
        return chan_error(EPROTO, "'" + e.name + "' has an impossible number of posts (" + std::to_string(posted) + ")");
    v.config.posted = posted;
    v.config.consumer_vector = h.consumer_vector;
    v.config.producer_vector = h.producer_vector;
    v.config.memory_offset = e.offset;
    return v;
}

}  // namespace

Result<ChannelConsumer> ChannelConsumer::open(DataArea& area, std::string_view name) {
    AreaCore& core = area.core();
    MD_ASSIGN_OR_RETURN(DirectoryEntry e, dir_lookup(core, name));
    MD_ASSIGN_OR_RETURN(ChannelView v, check_channel(core, e));
    if (!core.writable) return chan_error(EROFS, "read-only peer cannot consume");
    if (word64(&v.hdr->producer_state).load(std::memory_order_acquire) != kProducerOpen || !core.is_live(v.producer))
        return chan_error(EOWNERDEAD, "the producer of '" + e.name + "' is gone");
    auto s = std::make_unique<State>();
    s->v = v;
    s->attach_word = kConsumerAttached | (next_open_number() << 32 & kConsumerOpenMask) | pack(core.self);
    auto consumer = word64(&v.hdr->consumer);
    std::uint64_t expected = 0;
    if (!consumer.compare_exchange_strong(expected, s->attach_word, std::memory_order_acq_rel)) {
        const bool live = (expected & kConsumerKindMask) == kConsumerAttached &&
                          core.is_live(unpack(static_cast<std::uint32_t>(expected)));
        return chan_error(EBUSY, live ? "'" + e.name + "' has a consumer"
                                      : "'" + e.name + "' still holds a dead consumer: its producer must recover()");
    }
    s->cons = word64(&v.hdr->fwd_tail).load(std::memory_order_acquire);
    // Our returns (and posts) start where the last consumer's ended: the
    // producer reads the ring in order, so entries it has not read yet must
    // not be overwritten under it. (Their returns are checked against its
    // records; their posts carry the old tag and are dropped.)
    const std::uint64_t ret_tail = word64(&v.hdr->ret_tail).load(std::memory_order_acquire);
    const std::uint64_t ret_head = word64(&v.hdr->ret_head).load(std::memory_order_acquire);
    s->ret_prod = ret_head >= ret_tail && ret_head - ret_tail <= v.ret_slots ? ret_head : ret_tail;
    s->ret_tail_cache = ret_tail;
    word64(&v.hdr->ret_head).store(s->ret_prod, std::memory_order_relaxed);
    if (v.posting) {
        s->lent.resize(v.config.posted);
        for (std::uint32_t t = v.config.posted; t-- > 0;) s->free_posts.push_back(static_cast<std::uint16_t>(t));
        s->tag = post_tag(s->attach_word);
    }
    return ChannelConsumer(std::move(s));
}

ChannelConsumer::ChannelConsumer(std::unique_ptr<State> s) : s_(std::move(s)) {}
ChannelConsumer::ChannelConsumer(ChannelConsumer&&) noexcept = default;
ChannelConsumer& ChannelConsumer::operator=(ChannelConsumer&&) noexcept = default;
ChannelConsumer::~ChannelConsumer() {
    if (!s_) return;
    word32(&s_->v.hdr->consumer_sleeping).store(kAwake, std::memory_order_relaxed);
    std::uint64_t expected = s_->attach_word;
    word64(&s_->v.hdr->consumer).compare_exchange_strong(expected, 0, std::memory_order_acq_rel);
}

Result<std::uint32_t> ChannelConsumer::State::ret_room(std::uint32_t want) {
    return ring_room(ret_prod, ret_tail_cache, &v.hdr->ret_tail, v.ret_slots, want, std::memory_order_acquire,
                     "the producer's return");
}

void ChannelConsumer::State::put_return(std::uint64_t offset, std::uint32_t length, std::uint16_t token,
                                        std::uint16_t kind) {
    std::byte* e = v.ret_entry(ret_prod);
    ChannelView::w0(e).store(entry_word0(offset, kind), std::memory_order_relaxed);
    ChannelView::w1(e).store(entry_word1(length, token, marker_for(ret_prod, v.ret_shift)),
                             std::memory_order_release);
    ++ret_prod;
}

Status ChannelConsumer::State::no_posts_lent(const char* what) const {
    if (nlent == 0) return {};
    return chan_error(EPERM, std::string(what) + " with buffers posted: use peek()/consume()");
}

bool ChannelConsumer::State::take_filled(std::uint16_t token, std::uint32_t len, Message& m,
                                         std::uint32_t& invalid) {
    const std::uint16_t t = token & static_cast<std::uint16_t>(kPostedTokenBit - 1);
    if (t >= lent.size() || !lent[t].out || lent[t].peeked) {  // not ours to receive (or twice)
        ++invalid;
        return false;
    }
    Lent& l = lent[t];
    l.peeked = true;
    if (len > l.capacity) {  // never shown; the buffer is posted again
        ++invalid;
        peek_repost.push_back(t);
        return false;
    }
    peek_filled.push_back(t);
    m.data = v.core->data + l.offset;
    m.offset = l.offset;
    m.cookie = l.cookie;
    m.origin = kMessagePosted;
    return true;
}

void ChannelConsumer::State::settle_peeked_posts(bool consumed) {
    for (std::uint16_t t : peek_filled) {
        lent[t].peeked = false;
        if (!consumed) continue;
        lent[t].out = false;
        free_posts.push_back(t);
        --nlent;
    }
    for (std::uint16_t t : peek_repost) {
        lent[t].peeked = false;
        if (consumed) repost.push_back(t);
    }
    peek_filled.clear();
    peek_repost.clear();
}

void ChannelConsumer::State::finish_batch(bool consumed, bool returned) {
    if (consumed) word64(&v.hdr->fwd_tail).store(cons, std::memory_order_release);
    if (returned) word64(&v.hdr->ret_head).store(ret_prod, std::memory_order_relaxed);
    if (wake_if_sleeping(*v.core, &v.hdr->producer_sleeping, v.producer.id, v.config.producer_vector))
        ++stats.wakeups;
}

Result<std::uint32_t> ChannelConsumer::recv_copy(std::span<const std::span<std::byte>> into,
                                                 std::span<std::uint32_t> lengths) {
    State& s = *s_;
    MD_TRY(s.no_posts_lent("recv_copy()"));  // so no post was peeked either
    s.peek_start = ~std::uint64_t{0};  // a peek() before this is stale
    const auto n = static_cast<std::uint32_t>(std::min({into.size(), lengths.size(), std::size_t{kChannelMaxSlots}}));
    const bool copy = s.v.mode == ChannelMode::Copy;
    std::uint32_t returns = 0;
    if (!copy) {
        auto room = s.ret_room(n);
        if (!room) return std::move(room).error();
        returns = *room;
    }
    // The first slot's line is fetched alongside the first descriptor's
    // rather than after it: a message's two cache misses overlap.
    if (s.v.slot0 != nullptr) __builtin_prefetch(s.v.slot(s.cons));
    const std::uint64_t start = s.cons;
    std::uint32_t got = 0, returned = 0;
    // Bounded by one ring: entries dropped as invalid count against it too.
    for (std::uint32_t seen = 0; got < n && seen < s.v.slots; ++seen) {
        std::byte* e = s.v.fwd_entry(s.cons);
        std::uint64_t w1;
        if (!s.v.ready(e, s.cons, w1, std::memory_order_acquire)) break;
        const auto len = static_cast<std::uint32_t>(w1);
        if (copy || static_cast<std::uint16_t>(w1 >> 32) == kInlineToken) {  // in its slot
            const std::byte* payload = s.v.slot(s.cons);
            ++s.cons;
            if (!s.v.slot_holds(len)) {  // too long, or a channel without slots
                ++s.stats.invalid;
                continue;
            }
            copy_out(into[got], payload, len);
        } else {
            if (returned == returns) break;  // no room to give it back
            const std::uint64_t off = ChannelView::w0(e).load(std::memory_order_relaxed) & kOffsetMask;
            ++s.cons;
            const bool ok = s.v.in_region(off, len);
            if (ok) copy_out(into[got], s.v.core->data + off, len);
            s.put_return(off, len, static_cast<std::uint16_t>(w1 >> 32));
            ++returned;
            if (!ok) {
                ++s.stats.invalid;
                continue;
            }
        }
        lengths[got++] = len;
        s.stats.bytes += len;
    }
    s.stats.messages += got;
    s.stats.returned += returned;
    if (s.cons != start) s.finish_batch(true, returned > 0);
    return got;
}

Result<std::uint32_t> ChannelConsumer::peek(std::span<Message> out) {
    State& s = *s_;
    const bool copy = s.v.mode == ChannelMode::Copy;
    const auto n = static_cast<std::uint32_t>(std::min(out.size(), std::size_t{kChannelMaxSlots}));
    s.settle_peeked_posts(false);  // a peek again shows them again
    if (s.v.slot0 != nullptr) __builtin_prefetch(s.v.slot(s.cons));  // as in recv_copy
    std::uint32_t got = 0, invalid = 0;
    std::uint64_t bytes = 0;
    bool returned = false;
    std::uint64_t pos = s.cons;
    const std::uint32_t limit = s.published();
    // Bounded by one ring, as recv_copy.
    for (std::uint32_t seen = 0; got < n && seen < limit; ++seen, ++pos) {
        std::byte* e = s.v.fwd_entry(pos);
        std::uint64_t w1;
        if (!s.v.ready(e, pos, w1, std::memory_order_acquire)) break;
        const auto len = static_cast<std::uint32_t>(w1);
        const auto token = static_cast<std::uint16_t>(w1 >> 32);
        const std::uint64_t w0 = ChannelView::w0(e).load(std::memory_order_relaxed);
        Message m;
        m.flags = static_cast<std::uint16_t>(w0 >> 48);
        if (copy || token == kInlineToken) {
            if (!s.v.slot_holds(len)) {  // too long, or a channel without slots
                ++invalid;
                continue;
            }
            m.data = s.v.slot(pos);
            m.offset = s.v.slot_offset(pos);
            m.cookie = kChannelInlineCookie;
            m.origin = kMessageInSlot;
        } else if ((token & kPostedTokenBit) != 0) {  // into a buffer we posted (or a forgery)
            if (!s.take_filled(token, len, m, invalid)) continue;
        } else {
            const std::uint64_t off = w0 & kOffsetMask;
            if (!s.v.in_region(off, len)) {
                // Never shown; it must go back to the producer. At the front
                // it goes now (and is consumed); behind shown messages it
                // ends this peek and leads the next.
                if (got != 0) break;
                MD_ASSIGN_OR_RETURN(std::uint32_t room, s.ret_room(1));
                if (room == 0) break;
                s.put_return(off, len, token);
                ++s.stats.invalid;
                ++s.stats.returned;
                s.cons = pos + 1;
                returned = true;
                continue;
            }
            m.data = s.v.core->data + off;
            m.offset = off;
            m.cookie = token;
        }
        m.length = len;
        out[got++] = m;
        bytes += len;
    }
    if (returned) s.finish_batch(true, true);
    s.peek_start = s.cons;
    s.peek_end = pos;
    s.peek_messages = got;
    s.peek_invalid = invalid;
    s.peek_bytes = bytes;
    return got;
}

Status ChannelConsumer::consume(std::span<const Message> give_back) {
    State& s = *s_;
    if (s.peek_start != s.cons) return chan_error(EINVAL, "consume() without a peek()");
    const bool returned = !give_back.empty();
    if (returned) {
        if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "nothing to give back in a copy channel");
        MD_TRY(s.give_back(give_back));
    }
    s.settle_peeked_posts(true);
    s.peek_start = ~std::uint64_t{0};
    const bool consumed = s.peek_end != s.cons;
    s.cons = s.peek_end;
    s.stats.messages += s.peek_messages;
    s.stats.bytes += s.peek_bytes;
    s.stats.invalid += s.peek_invalid;
    if (consumed || returned) s.finish_batch(consumed, returned);
    return {};
}

Result<std::uint32_t> ChannelConsumer::recv(std::span<Message> out) { return recv(out, {}); }

Result<std::uint32_t> ChannelConsumer::recv(std::span<Message> out, std::span<const Message> give_back) {
    State& s = *s_;
    if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "recv() is for zero-copy channels: use recv_copy()");
    if (s.v.slot0 != nullptr)
        return chan_error(EPERM, "the channel carries inline messages: use peek()/consume() or recv_copy()");
    MD_TRY(s.no_posts_lent("recv()"));  // so no post was peeked either
    s.peek_start = ~std::uint64_t{0};
    const auto n = static_cast<std::uint32_t>(std::min(out.size(), std::size_t{kChannelMaxSlots}));
    bool returned = false;
    if (!give_back.empty()) {
        MD_TRY(s.give_back(give_back));
        returned = true;
    }
    const std::uint64_t start = s.cons;
    std::uint32_t got = 0;
    for (std::uint32_t seen = 0; got < n && seen < s.v.slots; ++seen) {
        std::byte* e = s.v.fwd_entry(s.cons);
        std::uint64_t w1;
        if (!s.v.ready(e, s.cons, w1, std::memory_order_acquire)) break;
        const std::uint64_t w0 = ChannelView::w0(e).load(std::memory_order_relaxed);
        const std::uint64_t off = w0 & kOffsetMask;
        const auto len = static_cast<std::uint32_t>(w1);
        const auto token = static_cast<std::uint16_t>(w1 >> 32);
        if (!s.v.in_region(off, len)) {
            // Hand it straight back (the producer will judge it); never
            // give the application a pointer outside the producer's arena.
            MD_ASSIGN_OR_RETURN(std::uint32_t room, s.ret_room(1));
            if (room == 0) break;
            ++s.cons;
            s.put_return(off, len, token);
            returned = true;
            ++s.stats.invalid;
            continue;
        }
        ++s.cons;
        Message& m = out[got++];
        m.data = s.v.core->data + off;
        m.offset = off;
        m.length = len;
        m.flags = static_cast<std::uint16_t>(w0 >> 48);
        m.origin = kMessageLent;
        m.cookie = token;
        s.stats.bytes += len;
    }
    s.stats.messages += got;
    if (s.cons != start || returned) s.finish_batch(s.cons != start, returned);
    return got;
}

Status ChannelConsumer::State::give_back(std::span<const Message> messages) {
    if (messages.size() > v.slots) return chan_error(EINVAL, "more messages than the ring holds");
    // Only what the producer lent goes back: a message in its slot, or in
    // a buffer we posted, takes no return entry.
    auto lent_by_producer = [](const Message& m) { return m.origin == kMessageLent && m.cookie != kChannelInlineCookie; };
    const auto n = static_cast<std::uint32_t>(std::count_if(messages.begin(), messages.end(), lent_by_producer));
    MD_ASSIGN_OR_RETURN(std::uint32_t room, ret_room(n));
    if (room < n) return chan_error(EAGAIN, "the return ring is full (the producer is not reclaiming)");
    for (const Message& m : messages)
        if (lent_by_producer(m)) put_return(m.offset, m.length, static_cast<std::uint16_t>(m.cookie));
    stats.returned += n;
    return {};
}

Status ChannelConsumer::release(std::span<const Message> messages) {
    State& s = *s_;
    if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "release() is for zero-copy channels");
    if (messages.empty()) return {};
    MD_TRY(s.give_back(messages));
    s.finish_batch(false, true);
    return {};
}

Result<std::uint32_t> ChannelConsumer::post(std::span<const Message> buffers) {
    State& s = *s_;
    if (!s.v.posting) return chan_error(EPERM, "the channel takes no posted buffers (made without `posted`)");
    for (const Message& m : buffers) {
        if (!s.v.lendable(m.offset, m.length))
            return chan_error(EINVAL, "buffer [" + std::to_string(m.offset) + ", +" + std::to_string(m.length) +
                                          ") is empty, outside the arenas, or in the producer's arena");
    }
    const std::uint32_t again = static_cast<std::uint32_t>(s.repost.size());
    MD_ASSIGN_OR_RETURN(std::uint32_t room,
                        s.ret_room(again + static_cast<std::uint32_t>(std::min<std::size_t>(buffers.size(), s.v.ret_slots))));
    // Buffers a bad entry came back in go out again first (still lent).
    std::uint32_t k = 0;
    while (k < room && !s.repost.empty()) {
        const std::uint16_t t = s.repost.back();
        s.repost.pop_back();
        s.put_return(s.lent[t].offset, s.lent[t].capacity, t, s.tag);
        ++k;
    }
    std::uint32_t n = 0;
    for (; n < buffers.size() && k < room && !s.free_posts.empty(); ++n, ++k) {
        const std::uint16_t t = s.free_posts.back();
        s.free_posts.pop_back();
        s.lent[t] = State::Lent{buffers[n].offset, buffers[n].cookie, buffers[n].length, true, false};
        ++s.nlent;
        s.put_return(buffers[n].offset, buffers[n].length, t, s.tag);
    }
    s.stats.posted += n;
    if (k != 0) s.finish_batch(false, true);
    return n;
}

std::uint32_t ChannelConsumer::lent(std::span<Message> out) const {
    const State& s = *s_;
    std::uint32_t n = 0;
    for (const State::Lent& l : s.lent) {
        if (!l.out || n == out.size()) continue;
        out[n++] = Message{s.v.core->data + l.offset, l.offset, l.capacity, 0, kMessagePosted, l.cookie};
    }
    return n;
}

Result<bool> ChannelConsumer::wait_readable(std::chrono::milliseconds timeout) {
    State& s = *s_;
    return sleep_until(*s.v.core, &s.v.hdr->consumer_sleeping, s.v.config.consumer_vector, timeout,
                       [&] { return s.has_message(std::memory_order_seq_cst); }, s.stats);
}

Result<bool> ChannelConsumer::arm() {
    State& s = *s_;
    return arm_sleep(&s.v.hdr->consumer_sleeping, [&] { return s.has_message(std::memory_order_seq_cst); });
}

void ChannelConsumer::disarm() { disarm_sleep(*s_->v.core, &s_->v.hdr->consumer_sleeping, s_->v.config.consumer_vector); }
int ChannelConsumer::doorbell_fd() const { return s_->v.core->port->doorbell_fd(s_->v.config.consumer_vector); }

bool ChannelConsumer::producer_alive() const {
    return word64(&s_->v.hdr->producer_state).load(std::memory_order_acquire) == kProducerOpen &&
           s_->v.core->is_live(s_->v.producer);
}
const ChannelConfig& ChannelConsumer::config() const { return s_->v.config; }
ChannelStats ChannelConsumer::stats() const { return s_->stats; }

}  // namespace memdomain
