// The channel ends as memdomain-bench uses them: a session (the domain,
// its data area, an arena for what this end produces), and a Sender and a
// Receiver that hide whether the channel copies or passes buffers in place.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "memdomain/arena.h"
#include "memdomain/channel.h"
#include "memdomain/data_area.h"
#include "memdomain/domain.h"
#include "memdomain_bench.h"
#include "memdomain_bench_payload.h"

namespace memdomain::bench {

struct Session {
    std::unique_ptr<Domain> domain;
    std::optional<DataArea> area;
    std::optional<Arena> arena;
};

// Opens the domain and its data area; claims an arena big enough for
// `produce` channels of this test (0: none).
Result<Session> open_session(const BenchOptions& o, int produce);
// The producer end `name`; waits until a consumer is attached.
Result<ChannelProducer> create_channel(Session& s, const BenchOptions& o, const std::string& name);
// The consumer end `name`, retrying until the producer has published it.
Result<ChannelConsumer> open_channel(Session& s, const BenchOptions& o, const std::string& name);

class Sender {
public:
    Sender(ChannelProducer& ch, const BenchOptions& o);
    // Sends up to n messages numbered seq, seq+1, ...; returns how many went.
    Result<std::uint32_t> send(std::uint64_t seq, std::uint32_t n);
    // Sends the END message (waiting for room up to the timeout).
    Status send_end(std::uint64_t sent);
    // Waits for room (doorbell mode) or spins once (poll mode).
    Status idle();

private:
    ChannelProducer& ch_;
    const BenchOptions& o_;
    std::vector<std::vector<std::byte>> staging_;  // copy mode
    std::vector<std::uint64_t> stamped_;           // the message each staging buffer holds
    std::vector<std::span<const std::byte>> spans_;
    std::vector<Message> msgs_, back_;             // zero-copy
};

class Receiver {
public:
    Receiver(ChannelConsumer& ch, const BenchOptions& o);
    // Receives up to one batch; calls on_message(payload, length) for each
    // (the payload may be in place in shared memory). Returns how many.
    template <class F>
    Result<std::uint32_t> poll(F&& on_message);
    // Waits for a message (doorbell mode) or spins once (poll mode).
    Status idle();

private:
    ChannelConsumer& ch_;
    const BenchOptions& o_;
    std::vector<std::vector<std::byte>> bufs_;
    std::vector<std::span<std::byte>> into_;
    std::vector<std::uint32_t> lens_;
    std::vector<Message> msgs_;
};

template <class F>
Result<std::uint32_t> Receiver::poll(F&& on_message) {
    if (!o_.zero_copy && o_.test != Test::PingPong) {
        // Streams through peek/consume (the throughput path: batches bounded
        // by the producer's head), still copying each message out as a
        // receiver owning its buffers would.
        MD_ASSIGN_OR_RETURN(std::uint32_t n, ch_.peek(msgs_));
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::uint32_t len = std::min<std::uint32_t>(msgs_[i].length, static_cast<std::uint32_t>(bufs_[i].size()));
            std::memcpy(bufs_[i].data(), msgs_[i].data, len);
            on_message(bufs_[i].data(), msgs_[i].length);
        }
        if (n > 0) MD_TRY(ch_.consume());
        return n;
    }
    if (!o_.zero_copy) {  // a ping-pong: markers only, no head round trip
        MD_ASSIGN_OR_RETURN(std::uint32_t n, ch_.recv_copy(into_, lens_));
        for (std::uint32_t i = 0; i < n; ++i) on_message(bufs_[i].data(), lens_[i]);
        return n;
    }
    MD_ASSIGN_OR_RETURN(std::uint32_t n, ch_.recv(msgs_));
    for (std::uint32_t i = 0; i < n; ++i) on_message(static_cast<const std::byte*>(msgs_[i].data), msgs_[i].length);
    if (n > 0) MD_TRY(ch_.release(std::span(msgs_).subspan(0, n)));
    return n;
}

inline void cpu_relax() { __builtin_ia32_pause(); }

}  // namespace memdomain::bench
