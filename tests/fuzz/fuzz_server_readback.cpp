// libFuzzer target: what a server reads back from memory every R/W peer can
// write. Arbitrary bytes go over the header and the doorbell mailbox of a
// real segment that a real DomainRegistry serves (a sealed memfd, one
// instance, two admitted peers), and then through exactly the code the
// server runs on them:
//   - the control plane's views (list_view, show_view: per peer and vector
//     the doorbell counter, Segment::mailbox_count),
//   - the presence and join-epoch updates of a join and a leave,
//   - adoption after a restart (Segment::adopt) with the server's record of
//     the segment and without one.
// None may crash or hang, and what they report must come from the server's
// own record: show lists `vectors` counters per peer whatever the header
// says, each the word at the offset the server computed; an adoption with a
// record gives back exactly that record and a valid header; one without a
// record either refuses or gives a spec that fits the memfd.
//
// Input: byte 0 chooses what runs (bit 0: adopt with the record, bit 1:
// adopt without, bit 2: a join and a leave first); the rest is written over
// the segment from offset 0 (header, then mailbox), zero-filled to the end
// of the mailbox. make_header_seeds writes the seeds (corpus/readback/).
#include <spdlog/spdlog.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "config/config_parser.h"
#include "control/domain_views.h"
#include "domain/domain_registry.h"
#include "fuzz_readback_spec.h"
#include "memdomain/sys/memory.h"
#include "memdomain/sys/socket.h"

using namespace memdomain;
using namespace memdomain::server;

namespace {

[[noreturn]] void broken(const char* rule) {
    std::fprintf(stderr, "invariant broken: %s\n", rule);
    std::abort();
}

struct Served {
    std::string dir;
    std::unique_ptr<EventLoop> loop;
    std::unique_ptr<DomainRegistry> registry;
    ServedDomain* domain = nullptr;
    DomainInstance* instance = nullptr;
    const Segment* segment = nullptr;
    SegmentSpec record;
    sys::Mapping peer;               // the whole segment, R/W, as a peer maps it
    std::vector<sys::UniqueFd> clients;  // the admitted peers' ends, never read
};

Served& served() {
    static Served* s = [] {
        spdlog::set_level(spdlog::level::off);
        auto* out = new Served;
        char tmpl[] = "/tmp/memdomain-fuzz-readback.XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) broken("mkdtemp");
        out->dir = tmpl;
        auto cfg = config::parse_config(fuzz::kReadbackConfig, "<fuzz>");
        if (!cfg) broken("config parses");
        auto loop = EventLoop::create();
        if (!loop) broken("event loop");
        out->loop = std::make_unique<EventLoop>(std::move(loop).value());
        RegistryOptions ro;
        ro.socket_dir = out->dir;
        auto reg = DomainRegistry::create(*cfg, ro, *out->loop);
        if (!reg) broken("registry starts");
        out->registry = std::move(reg).value();
        out->domain = out->registry->domains().begin()->second.get();
        out->instance = out->domain->instances().begin()->second.get();
        out->segment = &out->instance->segment(0);
        out->record = out->segment->spec();
        auto m = sys::map_shared(out->segment->fd()->get(), out->record.size, sys::Protection::ReadWrite);
        if (!m) broken("peer mapping");
        out->peer = std::move(m).value();
        // Two peers through the server's own accept path (credentials, ACL,
        // instance, admit), on socketpairs.
        for (int i = 0; i < 2; ++i) {
            int sv[2];
            if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) broken("socketpair");
            out->domain->accept_connection(0, sys::UniqueFd(sv[0]));
            out->clients.emplace_back(sv[1]);
        }
        if (out->domain->peer_count() != 2) broken("two peers admitted");
        std::atexit([] {
            std::string cmd = "rm -rf '" + served().dir + "'";
            (void)!std::system(cmd.c_str());
        });
        return out;
    }();
    return *s;
}

std::uint64_t word_at(const std::vector<std::uint8_t>& bytes, std::uint64_t offset) {
    std::uint64_t w = 0;
    std::memcpy(&w, bytes.data() + offset, sizeof w);
    return w;
}

void check_views(Served& s, const std::vector<std::uint8_t>& written) {
    const std::uint64_t mailbox = s.segment->geometry().mailbox_offset;
    const nlohmann::json show = control::show_view(*s.domain);
    (void)control::list_view(*s.registry);
    const auto& peers = show.at("instances").at(0).at("segments").at(0).at("peers");
    if (peers.size() != 2) broken("show lists the server's peers");
    for (const auto& p : peers) {
        const auto id = p.at("id").get<std::uint32_t>();
        const auto& rings = p.at("doorbells");
        if (rings.size() != s.record.vectors) broken("one counter per configured vector");
        for (std::uint32_t v = 0; v < s.record.vectors; ++v)
            if (rings.at(v).get<std::uint64_t>() != word_at(written, mailbox + id * kMailboxStride + v * 8))
                broken("a counter is the word at the server's own offset");
    }
    for (std::uint32_t peer = 0; peer < kMaxPeers + 2; peer += 7)
        for (std::uint32_t v = 0; v < kMaxVectors + 2; ++v) {
            const std::uint64_t got = s.segment->mailbox_count(peer, v);
            const bool in_range = peer < s.record.max_peers && v < s.record.vectors;
            if (!in_range && got != 0) broken("no counter beyond the server's bounds");
            if (in_range && got != word_at(written, mailbox + peer * kMailboxStride + v * 8))
                broken("mailbox_count reads the server's own offset");
        }
}

// Reads and drops whatever the server sent the admitted peers (join and
// leave messages, eventfds), so their queues never fill.
void drain(Served& s) {
    for (auto& c : s.clients)
        for (int i = 0; i < 256; ++i) {
            auto m = sys::try_receive_message(c.get());
            if (!m || !*m) break;
        }
}

// Runs what the loop deferred (the domain's on-change work) without waiting.
void run_loop_once(Served& s) {
    s.loop->add_deadline(std::chrono::milliseconds(0), [&s] { s.loop->stop(); });
    if (!s.loop->run()) broken("event loop runs");
}

void join_and_leave(Served& s) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) broken("socketpair");
    sys::UniqueFd client(sv[1]);
    s.domain->accept_connection(0, sys::UniqueFd(sv[0]));
    if (s.domain->peer_count() != 3) broken("a newcomer is admitted whatever the header says");
    const auto* h = static_cast<const SegmentHeader*>(s.peer.data());
    if (h->peer_count != 3) broken("the published count is the server's");
    s.instance->server(0).disconnect_if([](const PeerInfo& p) { return p.id >= 2; }, "fuzz");
    if (s.domain->peer_count() != 2 || h->peer_count != 2) broken("a leave is published from the server's record");
    run_loop_once(s);
    drain(s);
}

void adopt(const Served& s, bool with_record) {
    auto fd = sys::reopen(s.segment->fd()->get(), O_RDWR);
    if (!fd) broken("reopen");
    std::string tampered;
    auto a = Segment::adopt(std::move(fd).value(), with_record ? &s.record : nullptr, &tampered);
    if (with_record) {
        if (!a) broken("adoption with a record never depends on the header");
        if (!same_geometry(a->spec(), s.record) || a->spec().generation != s.record.generation)
            broken("adoption with a record takes the record");
    } else if (!a) {
        return;
    } else if (a->spec().size != s.record.size) {
        broken("a spec taken from a header fits the memfd");
    }
    if (!validate_segment_header(a->header(), a->spec().size)) broken("adoption leaves a valid header");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Served& s = served();
    const std::uint8_t mode = size > 0 ? data[0] : 0;
    const std::uint64_t area = s.segment->geometry().data_offset;  // header + mailbox
    std::vector<std::uint8_t> written(area, 0);
    if (size > 1) std::memcpy(written.data(), data + 1, std::min<std::size_t>(size - 1, area));
    std::memcpy(s.peer.data(), written.data(), area);

    if (mode & 4) {
        join_and_leave(s);
        // Joins and leaves store presence and epochs: read back what is there now.
        std::memcpy(written.data(), s.peer.data(), area);
    }
    check_views(s, written);
    if (mode & 1) adopt(s, true);
    if (mode & 2) adopt(s, false);
    return 0;
}
