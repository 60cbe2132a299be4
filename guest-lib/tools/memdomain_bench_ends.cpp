// memdomain-bench's sessions, senders and receivers.
#include "memdomain_bench_ends.h"

#include <algorithm>
#include <thread>

namespace memdomain::bench {

using Clock = std::chrono::steady_clock;

namespace {

ChannelConfig channel_config(const BenchOptions& o) {
    ChannelConfig c;
    c.slots = o.slots != 0 ? o.slots : default_slots(o.test);
    c.mode = o.zero_copy ? ChannelMode::ZeroCopy : ChannelMode::Copy;
    c.slot_payload = std::max(o.size, kEndSize);
    if (o.zero_copy) {
        c.pool_buffers = c.slots + 2 * o.batch;
        c.pool_buffer_size = (std::max(o.size, kEndSize) + 63) / 64 * 64;
    }
    return c;
}

}  // namespace

Result<Session> open_session(const BenchOptions& o, int produce) {
    MD_ASSIGN_OR_RETURN(OpenOptions oo, tools::to_open_options(o.transport));
    oo.timeout = std::chrono::milliseconds(o.timeout_ms);
    Session s;
    MD_ASSIGN_OR_RETURN(Domain d, Domain::open(o.domain, oo));
    s.domain = std::make_unique<Domain>(std::move(d));
    MD_ASSIGN_OR_RETURN(DataArea area, DataArea::attach(*s.domain));
    s.area.emplace(std::move(area));
    if (produce > 0) {
        const ChannelConfig c = channel_config(o);
        const std::uint64_t need = std::uint64_t(produce) * (channel_memory_size(c) + 4096 +
                                                              std::uint64_t(c.pool_buffers) * c.pool_buffer_size);
        MD_ASSIGN_OR_RETURN(Arena arena, Arena::claim(*s.area, need));
        s.arena.emplace(std::move(arena));
    }
    return s;
}

Result<ChannelProducer> create_channel(Session& s, const BenchOptions& o, const std::string& name) {
    MD_ASSIGN_OR_RETURN(ChannelProducer p, ChannelProducer::create(*s.area, *s.arena, name, channel_config(o)));
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    while (!p.consumer_alive()) {
        if (Clock::now() >= deadline) return make_error("no consumer opened '" + name + "' in time", ETIMEDOUT);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return p;
}

Result<ChannelConsumer> open_channel(Session& s, const BenchOptions& o, const std::string& name) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    for (;;) {
        auto c = ChannelConsumer::open(*s.area, name);
        if (c) return c;
        const int e = c.error().sys;
        // Not there yet, or a previous run's channel on its way out.
        if ((e != ENOENT && e != EOWNERDEAD && e != EBUSY) || Clock::now() >= deadline) return std::move(c).error();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
}

Sender::Sender(ChannelProducer& ch, const BenchOptions& o) : ch_(ch), o_(o) {
    if (!o.zero_copy) {
        staging_.assign(o.batch, std::vector<std::byte>(std::max(o.size, kEndSize), std::byte{0xa5}));
        stamped_.assign(o.batch, ~std::uint64_t{0});
        spans_.resize(o.batch);
    } else {
        msgs_.resize(o.batch);
        back_.resize(ch.config().slots + o.batch);
    }
}

Result<std::uint32_t> Sender::send(std::uint64_t seq, std::uint32_t n) {
    n = std::min(n, o_.batch);
    if (!o_.zero_copy) {
        // Message s lives in staging_[s % batch]: one that did not fit in
        // the ring last time is still stamped when it is offered again.
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint64_t s = seq + i;
            const std::size_t at = s % staging_.size();
            if (stamped_[at] != s) {
                stamp(staging_[at].data(), o_.size, s, o_.full_verify);
                stamped_[at] = s;
            }
            spans_[i] = std::span<const std::byte>(staging_[at].data(), o_.size);
        }
        return ch_.send_copy(std::span(spans_).subspan(0, n));
    }
    MD_ASSIGN_OR_RETURN(std::uint32_t back, ch_.reclaim(back_));
    if (back > 0) MD_TRY(ch_.free(std::span(back_).subspan(0, back)));
    MD_ASSIGN_OR_RETURN(std::uint32_t k, ch_.alloc(std::span(msgs_).subspan(0, n)));
    for (std::uint32_t i = 0; i < k; ++i) {
        stamp(static_cast<std::byte*>(msgs_[i].data), o_.size, seq + i, o_.full_verify);
        msgs_[i].length = o_.size;
    }
    MD_ASSIGN_OR_RETURN(std::uint32_t sent, ch_.send(std::span(msgs_).subspan(0, k)));
    if (sent < k) MD_TRY(ch_.free(std::span(msgs_).subspan(sent, k - sent)));
    return sent;
}

Status Sender::send_end(std::uint64_t sent) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(o_.timeout_ms);
    for (;;) {
        std::uint32_t n = 0;
        if (!o_.zero_copy) {
            make_end(staging_[0].data(), sent);
            stamped_[0] = ~std::uint64_t{0};
            const std::span<const std::byte> m[1] = {std::span<const std::byte>(staging_[0].data(), kEndSize)};
            MD_ASSIGN_OR_RETURN(n, ch_.send_copy(m));
        } else {
            MD_ASSIGN_OR_RETURN(std::uint32_t back, ch_.reclaim(back_));
            if (back > 0) MD_TRY(ch_.free(std::span(back_).subspan(0, back)));
            MD_ASSIGN_OR_RETURN(std::uint32_t k, ch_.alloc(std::span(msgs_).subspan(0, 1)));
            if (k == 1) {
                make_end(static_cast<std::byte*>(msgs_[0].data), sent);
                msgs_[0].length = kEndSize;
                MD_ASSIGN_OR_RETURN(n, ch_.send(std::span(msgs_).subspan(0, 1)));
                if (n == 0) MD_TRY(ch_.free(std::span(msgs_).subspan(0, 1)));
            }
        }
        if (n == 1) return {};
        if (Clock::now() >= deadline) return make_error("the receiver stopped taking messages", ETIMEDOUT);
        MD_TRY(idle());
    }
}

Status Sender::idle() {
    if (!o_.doorbell) {
        cpu_relax();
        return {};
    }
    auto r = ch_.wait_writable(std::chrono::milliseconds(100));
    if (!r) return std::move(r).error();
    return {};
}

Receiver::Receiver(ChannelConsumer& ch, const BenchOptions& o) : ch_(ch), o_(o) {
    const std::uint32_t cap = std::max(o.size, kEndSize);
    if (!o.zero_copy) {
        bufs_.assign(o.batch, std::vector<std::byte>(cap));
        into_.assign(bufs_.begin(), bufs_.end());
        lens_.resize(o.batch);
    }
    msgs_.resize(o.batch);
}

Status Receiver::idle() {
    if (!o_.doorbell) {
        cpu_relax();
        return {};
    }
    auto r = ch_.wait_readable(std::chrono::milliseconds(100));
    if (!r) return std::move(r).error();
    return {};
}

}  // namespace memdomain::bench
