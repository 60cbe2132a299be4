// The channel half of the data path's C API (memdomain/datapath.h).
#include <cstring>
#include <vector>

#include "c_handles.h"

using memdomain::capi::count_or_fail;
using memdomain::capi::fail;
using memdomain::capi::null_arg;

namespace {

memdomain::ChannelConfig to_cpp(const md_chan_config* c) {
    memdomain::ChannelConfig o;
    if (c == nullptr) return o;
    o.slots = c->slots;
    o.mode = static_cast<memdomain::ChannelMode>(c->mode);
    o.slot_payload = c->slot_payload;
    o.pool_buffers = c->pool_buffers;
    o.pool_buffer_size = c->pool_buffer_size;
    o.inline_payload = c->inline_payload;
    o.consumer_vector = c->consumer_vector;
    o.producer_vector = c->producer_vector;
    o.memory_offset = c->memory_offset;
    o.pool_offset = c->pool_offset;
    o.posted = c->posted;
    return o;
}

std::span<memdomain::Message> msgs(md_msg* m, uint32_t n) { return {reinterpret_cast<memdomain::Message*>(m), n}; }
std::span<const memdomain::Message> msgs(const md_msg* m, uint32_t n) {
    return {reinterpret_cast<const memdomain::Message*>(m), n};
}

int wrong_end(const char* fn) { return fail(EPERM, std::string(fn) + ": called on the wrong end of the channel"); }

}  // namespace

extern "C" {

void md_chan_config_init(struct md_chan_config* cfg) {
    if (cfg == nullptr) return;
    const memdomain::ChannelConfig d;
    *cfg = md_chan_config{};
    cfg->slots = d.slots;
    cfg->mode = static_cast<uint32_t>(d.mode);
    cfg->slot_payload = d.slot_payload;
    cfg->pool_buffers = d.pool_buffers;
    cfg->pool_buffer_size = d.pool_buffer_size;
    cfg->consumer_vector = d.consumer_vector;
    cfg->producer_vector = d.producer_vector;
}

uint64_t md_chan_memory_size(const struct md_chan_config* cfg) {
    return cfg == nullptr ? 0 : memdomain::channel_memory_size(to_cpp(cfg));
}

int md_chan_create(struct md_area* a, struct md_arena* ar, const char* name, const struct md_chan_config* cfg,
                   struct md_chan** out) {
    if (a == nullptr || ar == nullptr || name == nullptr || out == nullptr) return null_arg("md_chan_create");
    *out = nullptr;
    if (cfg != nullptr && cfg->mode > MD_CHAN_ZERO_COPY) return fail(EINVAL, "md_chan_create: unknown mode");
    auto r = memdomain::ChannelProducer::create(a->area, ar->arena, name, to_cpp(cfg));
    if (!r) return fail(r.error());
    auto* h = new (std::nothrow) md_chan{};
    if (h == nullptr) return fail(ENOMEM, "md_chan_create: out of memory");
    h->tx.emplace(std::move(r).value());
    *out = h;
    return 0;
}

int md_chan_open(struct md_area* a, const char* name, struct md_chan** out) {
    if (a == nullptr || name == nullptr || out == nullptr) return null_arg("md_chan_open");
    *out = nullptr;
    auto r = memdomain::ChannelConsumer::open(a->area, name);
    if (!r) return fail(r.error());
    auto* h = new (std::nothrow) md_chan{};
    if (h == nullptr) return fail(ENOMEM, "md_chan_open: out of memory");
    h->rx.emplace(std::move(r).value());
    *out = h;
    return 0;
}

void md_chan_close(struct md_chan* ch) { delete ch; }

int md_chan_is_producer(const struct md_chan* ch) { return ch != nullptr && ch->tx ? 1 : 0; }

int md_chan_get_config(const struct md_chan* ch, struct md_chan_config* out) {
    if (ch == nullptr || out == nullptr) return null_arg("md_chan_get_config");
    const memdomain::ChannelConfig& c = ch->tx ? ch->tx->config() : ch->rx->config();
    *out = md_chan_config{};
    out->slots = c.slots;
    out->mode = static_cast<uint32_t>(c.mode);
    out->slot_payload = c.slot_payload;
    out->pool_buffers = c.pool_buffers;
    out->pool_buffer_size = c.pool_buffer_size;
    out->inline_payload = c.inline_payload;
    out->consumer_vector = c.consumer_vector;
    out->producer_vector = c.producer_vector;
    out->memory_offset = c.memory_offset;
    out->pool_offset = c.pool_offset;
    out->posted = c.posted;
    return 0;
}

int md_chan_send_copy(struct md_chan* ch, const void* const* bufs, const uint32_t* lens, uint32_t n) {
    if (ch == nullptr || (n > 0 && (bufs == nullptr || lens == nullptr))) return null_arg("md_chan_send_copy");
    if (!ch->tx) return wrong_end("md_chan_send_copy");
    if (n > memdomain::kChannelMaxSlots) n = memdomain::kChannelMaxSlots;
    std::span<const std::byte> spans[64];
    uint32_t done = 0;
    // In chunks, so the spans live on the stack.
    while (done < n) {
        const uint32_t k = n - done < 64 ? n - done : 64;
        for (uint32_t i = 0; i < k; ++i) spans[i] = {static_cast<const std::byte*>(bufs[done + i]), lens[done + i]};
        auto r = ch->tx->send_copy(std::span<const std::span<const std::byte>>(spans, k));
        if (!r) return done > 0 ? static_cast<int>(done) : fail(r.error());
        done += *r;
        if (*r < k) break;
    }
    return static_cast<int>(done);
}

int md_chan_alloc(struct md_chan* ch, struct md_msg* out, uint32_t n) {
    if (ch == nullptr || (out == nullptr && n > 0)) return null_arg("md_chan_alloc");
    if (!ch->tx) return wrong_end("md_chan_alloc");
    return count_or_fail(ch->tx->alloc(msgs(out, n)));
}

int md_chan_send(struct md_chan* ch, const struct md_msg* m, uint32_t n) {
    if (ch == nullptr || (m == nullptr && n > 0)) return null_arg("md_chan_send");
    if (!ch->tx) return wrong_end("md_chan_send");
    return count_or_fail(ch->tx->send(msgs(m, n)));
}

int md_chan_reclaim(struct md_chan* ch, struct md_msg* out, uint32_t cap) {
    if (ch == nullptr || (out == nullptr && cap > 0)) return null_arg("md_chan_reclaim");
    if (!ch->tx) return wrong_end("md_chan_reclaim");
    return count_or_fail(ch->tx->reclaim(msgs(out, cap)));
}

int md_chan_free(struct md_chan* ch, const struct md_msg* m, uint32_t n) {
    if (ch == nullptr || (m == nullptr && n > 0)) return null_arg("md_chan_free");
    if (!ch->tx) return wrong_end("md_chan_free");
    auto st = ch->tx->free(msgs(m, n));
    return st ? 0 : fail(st.error());
}

uint32_t md_chan_outstanding(const struct md_chan* ch) {
    return ch != nullptr && ch->tx ? ch->tx->outstanding() : 0;
}
uint32_t md_chan_unread(const struct md_chan* ch) { return ch != nullptr && ch->tx ? ch->tx->unread() : 0; }

int md_chan_recover(struct md_chan* ch) {
    if (ch == nullptr) return null_arg("md_chan_recover");
    if (!ch->tx) return wrong_end("md_chan_recover");
    return count_or_fail(ch->tx->recover());
}

int md_chan_recv_copy(struct md_chan* ch, void* const* bufs, const uint32_t* caps, uint32_t* lens, uint32_t n) {
    if (ch == nullptr || (n > 0 && (bufs == nullptr || caps == nullptr || lens == nullptr)))
        return null_arg("md_chan_recv_copy");
    if (!ch->rx) return wrong_end("md_chan_recv_copy");
    std::span<std::byte> spans[64];
    uint32_t done = 0;
    while (done < n) {
        const uint32_t k = n - done < 64 ? n - done : 64;
        for (uint32_t i = 0; i < k; ++i) spans[i] = {static_cast<std::byte*>(bufs[done + i]), caps[done + i]};
        auto r = ch->rx->recv_copy(std::span<const std::span<std::byte>>(spans, k), std::span<uint32_t>(lens + done, k));
        if (!r) return done > 0 ? static_cast<int>(done) : fail(r.error());
        done += *r;
        if (*r < k) break;
    }
    return static_cast<int>(done);
}

int md_chan_recv(struct md_chan* ch, struct md_msg* out, uint32_t cap) {
    if (ch == nullptr || (out == nullptr && cap > 0)) return null_arg("md_chan_recv");
    if (!ch->rx) return wrong_end("md_chan_recv");
    return count_or_fail(ch->rx->recv(msgs(out, cap)));
}

int md_chan_peek(struct md_chan* ch, struct md_msg* out, uint32_t cap) {
    if (ch == nullptr || (out == nullptr && cap > 0)) return null_arg("md_chan_peek");
    if (!ch->rx) return wrong_end("md_chan_peek");
    return count_or_fail(ch->rx->peek(msgs(out, cap)));
}

int md_chan_consume(struct md_chan* ch) {
    if (ch == nullptr) return null_arg("md_chan_consume");
    if (!ch->rx) return wrong_end("md_chan_consume");
    auto st = ch->rx->consume();
    return st ? 0 : fail(st.error());
}

int md_chan_post(struct md_chan* ch, const struct md_msg* bufs, uint32_t n) {
    if (ch == nullptr || (bufs == nullptr && n > 0)) return null_arg("md_chan_post");
    if (!ch->rx) return wrong_end("md_chan_post");
    return count_or_fail(ch->rx->post(msgs(bufs, n)));
}

int md_chan_lent(const struct md_chan* ch, struct md_msg* out, uint32_t cap) {
    if (ch == nullptr || (out == nullptr && cap > 0)) return null_arg("md_chan_lent");
    if (!ch->rx) return 0;
    return static_cast<int>(ch->rx->lent(msgs(out, cap)));
}

int md_chan_release(struct md_chan* ch, const struct md_msg* m, uint32_t n) {
    if (ch == nullptr || (m == nullptr && n > 0)) return null_arg("md_chan_release");
    if (!ch->rx) return wrong_end("md_chan_release");
    auto st = ch->rx->release(msgs(m, n));
    return st ? 0 : fail(st.error());
}

int md_chan_wait(struct md_chan* ch, int timeout_ms) {
    if (ch == nullptr) return null_arg("md_chan_wait");
    const std::chrono::milliseconds t(timeout_ms);
    auto r = ch->tx ? ch->tx->wait_writable(t) : ch->rx->wait_readable(t);
    if (!r) return fail(r.error());
    return *r ? 1 : 0;
}

int md_chan_arm(struct md_chan* ch) {
    if (ch == nullptr) return null_arg("md_chan_arm");
    auto r = ch->tx ? ch->tx->arm() : ch->rx->arm();
    if (!r) return fail(r.error());
    return *r ? 1 : 0;
}

void md_chan_disarm(struct md_chan* ch) {
    if (ch == nullptr) return;
    if (ch->tx)
        ch->tx->disarm();
    else
        ch->rx->disarm();
}

int md_chan_doorbell_fd(const struct md_chan* ch) {
    if (ch == nullptr) return -1;
    return ch->tx ? ch->tx->doorbell_fd() : ch->rx->doorbell_fd();
}

int md_chan_peer_alive(const struct md_chan* ch) {
    if (ch == nullptr) return 0;
    return (ch->tx ? ch->tx->consumer_alive() : ch->rx->producer_alive()) ? 1 : 0;
}

int md_chan_get_stats(const struct md_chan* ch, struct md_chan_stats* out) {
    if (ch == nullptr || out == nullptr) return null_arg("md_chan_get_stats");
    const memdomain::ChannelStats s = ch->tx ? ch->tx->stats() : ch->rx->stats();
    *out = md_chan_stats{};
    out->messages = s.messages;
    out->bytes = s.bytes;
    out->returned = s.returned;
    out->invalid = s.invalid;
    out->wakeups = s.wakeups;
    out->sleeps = s.sleeps;
    out->posted = s.posted;
    return 0;
}

}  // extern "C"
