// The producer end: building the channel in its arena, and sending.
#include <algorithm>
#include <cstring>
#include <string>

#include "directory_ops.h"
#include "producer_state.h"

namespace memdomain {

using namespace detail;

namespace {

Error chan_error(int err, const std::string& what) { return make_error("channel: " + what, err); }

Status check_config(const ChannelConfig& c, const AreaCore& core) {
    if (channel_memory_size(c) == 0)
        return chan_error(EINVAL, "config: slots must be a power of two in 2.." + std::to_string(kChannelMaxSlots) +
                                      ", slot_payload 1..65536 in copy mode, inline_payload up to 65536, posted "
                                      "(zero-copy only) up to slots and below 32768");
    if (c.consumer_vector >= core.port->vectors() || c.producer_vector >= core.port->vectors())
        return chan_error(EINVAL, "config: a vector is >= the domain's " + std::to_string(core.port->vectors()));
    if (c.mode == ChannelMode::ZeroCopy && c.pool_buffers > 0 &&
        (c.pool_buffer_size == 0 || c.pool_buffer_size % 64 != 0 || c.pool_buffer_size > (1u << 24) ||
         c.pool_buffers > (1u << 24)))
        return chan_error(EINVAL, "config: pool_buffer_size must be a multiple of 64 up to 16 MiB, pool_buffers up "
                                  "to 2^24");
    return {};
}

// Memory for the rings or the pool: allocated from the arena, or the
// caller's range checked to lie inside it. Returns the offset; sets *taken
// when it allocated.
Result<std::uint64_t> place(Arena& arena, std::uint64_t given, std::uint64_t bytes, std::uint64_t* taken,
                            const char* what) {
    if (given == 0) {
        auto r = arena.alloc(bytes, 64);
        if (!r) return chan_error(ENOMEM, std::string(what) + ": " + r.error().message);
        *taken = *r;
        return *r;
    }
    if (given % 64 != 0 || given < arena.offset() || given - arena.offset() > arena.size() ||
        bytes > arena.size() - (given - arena.offset()))
        return chan_error(EINVAL, std::string(what) + " at " + std::to_string(given) +
                                      " is not 64-byte aligned inside the arena");
    return given;
}

void init_header(ChannelView& v, const ChannelConfig& c, const ChannelGeometry& g, const Arena& arena) {
    std::memset(v.hdr, 0, g.total);
    ChannelHeader h{};
    std::memcpy(h.magic, kChannelMagic, sizeof h.magic);
    h.layout_version = kChannelLayoutVersion;
    h.header_size = kChannelHeaderSize;
    h.mode = static_cast<std::uint32_t>(c.mode);
    h.slots = c.slots;
    h.slot_payload = slot_bytes(c);
    h.slot_stride = g.slot_stride;
    h.flags = c.posted != 0 ? kChannelFlagPosting : 0;
    h.consumer_vector = c.consumer_vector;
    h.producer_vector = c.producer_vector;
    h.producer = pack(v.producer);
    h.region_offset = arena.offset();
    h.region_size = arena.size();
    copy_to_shared(v.hdr, &h, 64);
    word32(&v.hdr->posted).store(c.posted, std::memory_order_relaxed);
    word64(&v.hdr->producer_state).store(kProducerOpen, std::memory_order_release);
}

}  // namespace

Result<ChannelProducer> ChannelProducer::create(DataArea& area, Arena& arena, std::string_view name,
                                                const ChannelConfig& config) {
    AreaCore& core = area.core();
    if (!core.writable) return chan_error(EROFS, "read-only peer cannot create a channel");
    if (!arena.owned()) return chan_error(EINVAL, "the arena is not ours (released, or taken over)");
    MD_TRY(check_config(config, core));
    const ChannelGeometry g = config_geometry(config);
    auto s = std::make_unique<State>();
    s->arena = &arena;
    s->name = std::string(name);
    auto undo = [&] {
        if (s->mem_alloc != State::kNone) (void)arena.free(s->mem_alloc);
        if (s->pool_alloc != State::kNone) (void)arena.free(s->pool_alloc);
    };
    auto mem = place(arena, config.memory_offset, g.total, &s->mem_alloc, "rings");
    if (!mem) return std::move(mem).error();
    const bool pool = config.mode == ChannelMode::ZeroCopy && config.pool_buffers > 0;
    if (pool) {
        auto p = place(arena, config.pool_offset, std::uint64_t{config.pool_buffers} * config.pool_buffer_size,
                       &s->pool_alloc, "pool");
        if (!p) {
            undo();
            return std::move(p).error();
        }
        s->pool_offset = *p;
        s->pool_count = config.pool_buffers;
        s->pool_size = config.pool_buffer_size;
        s->pool_free.reserve(s->pool_count);
        for (std::uint32_t i = s->pool_count; i-- > 0;) s->pool_free.push_back(i);
        s->pool_is_free.assign(s->pool_count, 1);
    }
    ChannelView& v = s->v;
    v.place(core, *mem, g, config.slots, config.mode);
    v.slot_payload = slot_bytes(config);
    v.region_offset = arena.offset();
    v.region_size = arena.size();
    v.producer = core.self;
    v.config = config;
    v.config.memory_offset = *mem;
    if (pool) v.config.pool_offset = s->pool_offset;
    if (config.mode == ChannelMode::ZeroCopy) {
        s->flights.resize(config.slots);
        for (std::uint32_t t = config.slots; t-- > 0;) s->free_tokens.push_back(static_cast<std::uint16_t>(t));
        if (config.posted != 0) {
            s->posts.resize(config.slots);
            s->post_mask = config.slots - 1;
        }
        s->post_held.assign(config.posted, 0);
    }
    init_header(v, config, g, arena);
    auto st = dir_publish(core, name, *mem, g.total, kDirectoryTypeChannel);
    if (!st) {
        undo();
        return std::move(st).error();
    }
    s->published = true;
    return ChannelProducer(std::move(s));
}

ChannelProducer::ChannelProducer(std::unique_ptr<State> s) : s_(std::move(s)) {}
ChannelProducer::ChannelProducer(ChannelProducer&&) noexcept = default;
ChannelProducer& ChannelProducer::operator=(ChannelProducer&&) noexcept = default;

ChannelProducer::~ChannelProducer() {
    if (!s_) return;
    word64(&s_->v.hdr->producer_state).store(kProducerClosed, std::memory_order_release);
    // Our own entry; a failure means a peer already withdrew it.
    if (s_->published) (void)dir_withdraw(*s_->v.core, s_->name);
    if (s_->mem_alloc != State::kNone) (void)s_->arena->free(s_->mem_alloc);
    if (s_->pool_alloc != State::kNone) (void)s_->arena->free(s_->pool_alloc);
}

Result<std::uint32_t> ChannelProducer::State::room(std::uint32_t want, std::memory_order order) {
    return ring_room(prod, tail_cache, &v.hdr->fwd_tail, v.slots, want, order, "the consumer's");
}

void ChannelProducer::State::put(std::uint64_t offset, std::uint32_t length, std::uint16_t flags, std::uint16_t token) {
    std::byte* e = v.fwd_entry(prod);
    ChannelView::w0(e).store(entry_word0(offset, flags), std::memory_order_relaxed);
    ChannelView::w1(e).store(entry_word1(length, token, marker_for(prod, v.shift)),
                             std::memory_order_release);
    ++prod;
}

void ChannelProducer::State::finish_batch() {
    word64(&v.hdr->fwd_head).store(prod, std::memory_order_release);
    const std::uint64_t c = word64(&v.hdr->consumer).load(std::memory_order_relaxed);
    if ((c & kConsumerKindMask) != kConsumerAttached) return;
    if (wake_if_sleeping(*v.core, &v.hdr->consumer_sleeping, unpack(static_cast<std::uint32_t>(c)).id,
                         v.config.consumer_vector))
        ++stats.wakeups;
}

Message ChannelProducer::State::pool_message(std::uint32_t index) const {
    Message m;
    m.offset = pool_offset + std::uint64_t{index} * pool_size;
    m.data = v.core->data + m.offset;
    m.length = pool_size;
    return m;
}

Result<std::uint32_t> ChannelProducer::send_copy(std::span<const std::span<const std::byte>> buffers) {
    State& s = *s_;
    const bool copy = s.v.mode == ChannelMode::Copy;
    if (!copy && s.pool_count == 0 && s.v.slot_payload == 0 && !s.v.posting)
        return chan_error(ENOBUFS, "zero-copy channel without a pool, inline slots or posting: use send()");
    // With posting, a message of any size may find a posted buffer that
    // holds it (or stop the batch when none does).
    const std::uint32_t limit = copy ? s.v.slot_payload
                                : s.v.posting ? ~std::uint32_t{0}
                                              : std::max(s.pool_size, s.v.slot_payload);
    for (const auto& b : buffers)
        if (b.size() > limit)
            return chan_error(EMSGSIZE, "a " + std::to_string(b.size()) + "-byte message exceeds the " +
                                            std::to_string(limit) + "-byte slot");
    const auto want = static_cast<std::uint32_t>(buffers.size() < kChannelMaxSlots ? buffers.size() : kChannelMaxSlots);
    MD_ASSIGN_OR_RETURN(std::uint32_t n, s.room(want));
    if (copy) {
        for (std::uint32_t i = 0; i < n; ++i) {
            const auto len = static_cast<std::uint32_t>(buffers[i].size());
            // The next slot's lines, which the consumer read last lap, are
            // asked for while this one is copied. (Asking for the entries'
            // lines as well, as below, measured slower here: 64-byte
            // messages, where the consumer sits right behind us.)
            if (i + 1 < n) prefetch_for_write(s.v.slot(s.prod + 1), buffers[i + 1].size());
            s.copy_in(s.v.slot(s.prod), buffers[i].data(), len);
            s.put(s.v.slot_offset(s.prod), len, 0, 0);
            s.stats.bytes += len;
        }
    } else {
        // Each message into its entry's slot when it fits (the cheapest for
        // small messages: no post used up), else the oldest posted buffer
        // when that holds it (one copy, nothing comes back), else a pool
        // buffer with a token; the batch ends at the first that has none.
        // One drain for both: posts run short, or pool buffers or tokens do.
        // The entries' lines are asked for up front: a copy into a posted or
        // pool buffer queues ~24 lines of stores behind each entry, and an
        // entry line still owned by the consumer would hold them all up
        // (net_memdomain's 1500-byte zero-copy Tx: a third more frames).
        s.v.prefetch_fwd(s.prod, n);
        const bool posts_short = s.v.posting && s.post_count < n;
        const bool pool_short = s.pool_count != 0 && (s.pool_free.size() < n || s.free_tokens.size() < n);
        if (posts_short || pool_short) s.drain_returns();
        if (s.post_count != 0) (void)s.check_post_owner();
        std::uint32_t k = 0;
        for (; k < n; ++k) {
            const auto len = static_cast<std::uint32_t>(buffers[k].size());
            if (s.v.slot_holds(len)) {
                if (k + 1 < n && s.v.slot_holds(buffers[k + 1].size()))
                    prefetch_for_write(s.v.slot(s.prod + 1), buffers[k + 1].size());
                s.copy_in(s.v.slot(s.prod), buffers[k].data(), len);
                s.put(s.v.slot_offset(s.prod), len, 0, kInlineToken);
            } else if (s.post_count != 0 && len <= s.posts[s.post_head].capacity) {
                const State::Post p = s.posts[s.post_head];
                s.post_head = (s.post_head + 1) & s.post_mask;
                --s.post_count;
                s.post_held[p.token] = 0;
                s.copy_in(s.v.core->data + p.offset, buffers[k].data(), len);
                s.put(p.offset, len, 0, static_cast<std::uint16_t>(kPostedTokenBit | p.token));
                ++s.stats.posted;
            } else if (!s.pool_free.empty() && !s.free_tokens.empty() && len <= s.pool_size) {
                const std::uint32_t b = s.pool_free.back();
                s.pool_free.pop_back();
                s.pool_is_free[b] = 0;
                const Message m = s.pool_message(b);
                s.copy_in(m.data, buffers[k].data(), len);
                const std::uint16_t t = s.free_tokens.back();
                s.free_tokens.pop_back();
                s.flights[t] = State::Flight{m.offset, 0, len, 0, true, true};
                s.put(m.offset, len, 0, t);
            } else {
                break;
            }
            s.stats.bytes += len;
        }
        n = k;
    }
    s.stats.messages += n;
    if (n > 0) s.finish_batch();
    return n;
}

Result<std::uint32_t> ChannelProducer::alloc(std::span<Message> out) {
    State& s = *s_;
    if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "alloc() is for zero-copy channels");
    if (s.pool_count == 0) return chan_error(ENOBUFS, "the channel has no pool");
    if (s.pool_free.size() < out.size()) s.drain_returns();
    std::uint32_t n = 0;
    while (n < out.size() && !s.pool_free.empty()) {
        const std::uint32_t b = s.pool_free.back();
        s.pool_free.pop_back();
        s.pool_is_free[b] = 0;
        out[n++] = s.pool_message(b);
    }
    return n;
}

Status ChannelProducer::free(std::span<const Message> buffers) {
    State& s = *s_;
    std::vector<std::uint32_t> idx;
    idx.reserve(buffers.size());
    for (const Message& m : buffers) {
        const std::uint64_t rel = m.offset - s.pool_offset;
        if (s.pool_count == 0 || m.offset < s.pool_offset || rel % s.pool_size != 0 || rel / s.pool_size >= s.pool_count)
            return chan_error(EINVAL, "offset " + std::to_string(m.offset) + " is not a pool buffer");
        const auto b = static_cast<std::uint32_t>(rel / s.pool_size);
        if (s.pool_is_free[b] != 0) return chan_error(EINVAL, "pool buffer at " + std::to_string(m.offset) + " is free already");
        idx.push_back(b);
    }
    for (std::uint32_t b : idx) {
        if (s.pool_is_free[b] != 0) continue;  // listed twice
        s.pool_is_free[b] = 1;
        s.pool_free.push_back(b);
    }
    return {};
}

Result<std::uint32_t> ChannelProducer::send(std::span<const Message> messages) {
    State& s = *s_;
    if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "send() is for zero-copy channels: use send_copy()");
    for (const Message& m : messages)
        if (!s.v.in_region(m.offset, m.length))
            return chan_error(EINVAL, "message [" + std::to_string(m.offset) + ", +" + std::to_string(m.length) +
                                          ") is not inside the producer's arena");
    const auto want = static_cast<std::uint32_t>(messages.size() < kChannelMaxSlots ? messages.size() : kChannelMaxSlots);
    MD_ASSIGN_OR_RETURN(std::uint32_t n, s.room(want));
    if (s.free_tokens.size() < n) s.drain_returns();
    if (s.free_tokens.size() < n) n = static_cast<std::uint32_t>(s.free_tokens.size());
    s.v.prefetch_fwd(s.prod, n);  // as in send_copy
    for (std::uint32_t i = 0; i < n; ++i) {
        const Message& m = messages[i];
        const std::uint16_t t = s.free_tokens.back();
        s.free_tokens.pop_back();
        s.flights[t] = State::Flight{m.offset, m.cookie, m.length, m.flags, true, false};
        ++s.sent_in_flight;
        s.put(m.offset, m.length, m.flags, t);
        s.stats.bytes += m.length;
    }
    s.stats.messages += n;
    if (n > 0) s.finish_batch();
    return n;
}

std::uint64_t ChannelProducer::offset() const { return s_->v.offset; }
const ChannelConfig& ChannelProducer::config() const { return s_->v.config; }
ChannelStats ChannelProducer::stats() const { return s_->stats; }
int ChannelProducer::doorbell_fd() const { return s_->v.core->port->doorbell_fd(s_->v.config.producer_vector); }

}  // namespace memdomain
