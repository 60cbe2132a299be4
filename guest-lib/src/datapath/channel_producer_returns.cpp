// The producer end's other half: buffers coming back (reclaim), a dead
// consumer's leftovers (recover), and sleeping until there is room.
#include <string>

#include "producer_state.h"

namespace memdomain {

using namespace detail;

namespace {
Error chan_error(int err, const std::string& what) { return make_error("channel: " + what, err); }
}  // namespace

void ChannelProducer::State::settle_flight(std::uint16_t token) {
    Flight& f = flights[token];
    f.in_use = false;
    free_tokens.push_back(token);
    ++stats.returned;
    if (f.internal) {
        const auto b = static_cast<std::uint32_t>((f.offset - pool_offset) / pool_size);
        pool_is_free[b] = 1;
        pool_free.push_back(b);
        return;
    }
    --sent_in_flight;
    Message m;
    m.offset = f.offset;
    m.data = v.core->data + f.offset;
    m.length = f.length;
    m.flags = f.flags;
    m.cookie = f.cookie;
    returned.push_back(m);
}

void ChannelProducer::State::drop_posts() {
    for (std::uint32_t i = 0; i < post_count; ++i) post_held[posts[(post_head + i) & post_mask].token] = 0;
    post_head = post_count = 0;
}

std::uint64_t ChannelProducer::State::check_post_owner() {
    const std::uint64_t c = word64(&v.hdr->consumer).load(std::memory_order_acquire);
    if (c != post_owner) {
        drop_posts();
        post_owner = c;
    }
    return c;
}

void ChannelProducer::State::take_post(std::uint64_t word0, std::uint64_t word1, std::uint64_t c) {
    // Only from the consumer attached now (its tag), for a token below
    // `posted` that we do not hold, into a range it may lend.
    const std::uint64_t off = word0 & kOffsetMask;
    const auto cap = static_cast<std::uint32_t>(word1);
    const auto token = static_cast<std::uint16_t>(word1 >> 32);
    if ((c & kConsumerKindMask) != kConsumerAttached) return;  // its poster has left (recover): not a fault
    if (static_cast<std::uint16_t>(word0 >> 48) != post_tag(c) ||
        token >= post_held.size() || post_held[token] != 0 || !v.lendable(off, cap)) {
        ++stats.invalid;
        return;
    }
    post_held[token] = 1;
    posts[(post_head + post_count) & post_mask] = Post{off, cap, token};
    ++post_count;  // at most post_held.size() <= posts.size(): one per token held
}

void ChannelProducer::State::drain_returns() {
    if (v.ret == nullptr) return;
    const std::uint64_t start = ret_cons;
    std::uint64_t owner = 0;
    bool owner_read = false;  // the consumer word, read at the first post
    // At most one ring's worth per call: a peer rewriting markers cannot
    // keep us here.
    for (std::uint32_t i = 0; i < v.ret_slots; ++i) {
        std::byte* e = v.ret_entry(ret_cons);
        std::uint64_t w1;
        if (!v.ret_ready(e, ret_cons, w1, std::memory_order_acquire)) break;
        // Two lines ahead, once a line: the consumer's posts arrive in
        // bursts, and their lines then come in while we check these
        // (1-2 % more frames through net_memdomain at 1500 B, A/B).
        if ((ret_cons & 3) == 0) __builtin_prefetch(v.ret_entry(ret_cons + 8));
        const std::uint64_t w0 = ChannelView::w0(e).load(std::memory_order_relaxed);
        const std::uint64_t off = w0 & kOffsetMask;
        ++ret_cons;
        if ((w0 >> 48 & kEntryPost) != 0) {
            if (!v.posting) {
                ++stats.invalid;
                continue;
            }
            if (!owner_read) {
                owner = check_post_owner();
                owner_read = true;
            }
            take_post(w0, w1, owner);
            continue;
        }
        const auto token = static_cast<std::uint16_t>(w1 >> 32);
        // A return must name a message in flight, at the offset we sent it.
        if (token >= flights.size() || !flights[token].in_use || flights[token].offset != off) {
            ++stats.invalid;
            continue;
        }
        settle_flight(token);
    }
    if (ret_cons != start) word64(&v.hdr->ret_tail).store(ret_cons, std::memory_order_release);
}

Result<std::uint32_t> ChannelProducer::reclaim(std::span<Message> out) {
    State& s = *s_;
    if (s.v.mode != ChannelMode::ZeroCopy) return chan_error(EPERM, "reclaim() is for zero-copy channels");
    if (s.returned.size() < out.size()) s.drain_returns();
    std::uint32_t n = 0;
    while (n < out.size() && !s.returned.empty()) {
        out[n++] = s.returned.front();
        s.returned.pop_front();
    }
    return n;
}

std::uint32_t ChannelProducer::outstanding() const {
    return s_->sent_in_flight + static_cast<std::uint32_t>(s_->returned.size());
}

std::uint32_t ChannelProducer::unread() const {
    const std::uint64_t t = word64(&s_->v.hdr->fwd_tail).load(std::memory_order_acquire);
    if (t > s_->prod || s_->prod - t > s_->v.slots) return 0;
    return static_cast<std::uint32_t>(s_->prod - t);
}

bool ChannelProducer::consumer_alive() const {
    const std::uint64_t c = word64(&s_->v.hdr->consumer).load(std::memory_order_acquire);
    return (c & kConsumerKindMask) == kConsumerAttached && s_->v.core->is_live(unpack(static_cast<std::uint32_t>(c)));
}

Result<std::uint32_t> ChannelProducer::recover() {
    State& s = *s_;
    auto consumer = word64(&s.v.hdr->consumer);
    std::uint64_t c = consumer.load(std::memory_order_acquire);
    if ((c & kConsumerKindMask) == kConsumerAttached && s.v.core->is_live(unpack(static_cast<std::uint32_t>(c))))
        return chan_error(EBUSY, "the consumer is alive");
    // Hold the consumer end while we clean up, so nobody attaches meanwhile.
    const std::uint64_t mine = kConsumerRecovering | pack(s.v.core->self);
    if (!consumer.compare_exchange_strong(c, mine, std::memory_order_acq_rel))
        return chan_error(EBUSY, "a consumer attached meanwhile");
    s.drain_returns();
    s.drop_posts();  // the dead consumer's buffers: never written again
    std::uint32_t n = 0;
    for (std::uint16_t t = 0; t < s.flights.size(); ++t) {
        if (!s.flights[t].in_use) continue;
        s.settle_flight(t);
        ++n;
    }
    // What the consumer had not read is dropped: the next one starts at our
    // position, in both rings.
    s.tail_cache = s.prod;
    word64(&s.v.hdr->fwd_tail).store(s.prod, std::memory_order_relaxed);
    word64(&s.v.hdr->ret_tail).store(s.ret_cons, std::memory_order_relaxed);
    word64(&s.v.hdr->ret_head).store(s.ret_cons, std::memory_order_relaxed);
    word32(&s.v.hdr->consumer_sleeping).store(kAwake, std::memory_order_relaxed);
    consumer.store(0, std::memory_order_release);
    return n;
}

bool ChannelProducer::State::has_work() {
    if (!returned.empty()) return true;
    if (v.ret != nullptr) {
        std::uint64_t w1;
        if (v.ret_ready(v.ret_entry(ret_cons), ret_cons, w1, std::memory_order_seq_cst)) return true;
    }
    auto r = room(1, std::memory_order_seq_cst);
    if (!r) return true;  // a corrupt index: let the caller's next send report it
    if (*r == 0) return false;
    if (v.mode == ChannelMode::Copy) return true;
    return !free_tokens.empty() && (pool_count == 0 || !pool_free.empty());
}

Result<bool> ChannelProducer::wait_writable(std::chrono::milliseconds timeout) {
    State& s = *s_;
    return sleep_until(*s.v.core, &s.v.hdr->producer_sleeping, s.v.config.producer_vector, timeout,
                       [&] { return s.has_work(); }, s.stats);
}

Result<bool> ChannelProducer::arm() {
    State& s = *s_;
    return arm_sleep(&s.v.hdr->producer_sleeping, [&] { return s.has_work(); });
}

void ChannelProducer::disarm() { disarm_sleep(*s_->v.core, &s_->v.hdr->producer_sleeping, s_->v.config.producer_vector); }

}  // namespace memdomain
