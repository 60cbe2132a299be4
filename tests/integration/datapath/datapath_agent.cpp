// md_datapath_agent: one data-path peer in its own process, driven line by
// line over --control-fd N like md_peer_agent (agent_client.h), so tests can
// run several real peers and SIGKILL one in the middle of a claim or a
// publish. One reply line per command: "ok [...]" or "err <errno> <message>".
//   open NAME SOCKET_DIR      -> ok self=<id>
//   attach SLOT_SIZE          -> ok formatted=0|1 epoch=<e> slots=<n>
//   claim BYTES               -> ok first=<i> count=<n> offset=<o>
//   owned                     -> ok 0|1
//   slots                     -> ok <id>:<epoch>:<live> per slot
//   present ID                -> ok 0|1   (peer ID's bit in the presence bitmap this peer sees)
//   claim-stress ROUNDS       -> ok claims=<n> conflicts=<n>   (claim, tag every slot, check, release)
//   claim-loop                -> ok, then claims and releases until killed (no more replies)
//   publish NAME OFFSET SIZE  -> ok
//   lookup NAME               -> ok offset=<o> size=<s> owner=<id>:<epoch>
//   list                      -> ok <name>:<live> ...
//   withdraw-stale            -> ok <n>
//   publish-loop PREFIX       -> ok, then publishes and withdraws PREFIX.<i> until killed
//   race PREFIX ROUNDS START_NS
//                             -> at CLOCK_REALTIME START_NS + r ms publishes PREFIX.r for each
//                                round r: ok won=<r,...> other=<errors that were not EEXIST>
//   scribble NAME MS          -> ok writes=<n>   (random words over the named range for MS ms)
//   quit                      -> ok, then exit 0
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "line_agent.h"
#include "memdomain/arena.h"
#include "memdomain/data_area.h"
#include "memdomain/directory.h"
#include "memdomain/common/segment_header.h"
#include "memdomain/domain.h"

using namespace memdomain;

namespace {

using memdomain::test::agent_err;
std::string err(const Error& e) { return agent_err(e); }
std::string err(int sys, const std::string& msg) { return agent_err(sys, msg); }

std::int64_t realtime_ns() {
    timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

class Agent {
public:
    std::string handle(const std::string& line, bool& quit) {
        std::istringstream in(line);
        std::string cmd;
        in >> cmd;
        if (cmd == "quit") {
            quit = true;
            return "ok";
        }
        if (cmd == "open") return open(in);
        if (!domain_) return err(0, "not open");
        if (cmd == "attach") return attach(in);
        if (!area_) return err(0, "not attached");
        if (cmd == "claim") return claim(in);
        if (cmd == "owned") return std::string("ok ") + (arena_ && arena_->owned() ? "1" : "0");
        if (cmd == "slots") return slots();
        if (cmd == "present") return present(in);
        if (cmd == "claim-stress") return claim_stress(in);
        if (cmd == "claim-loop") return claim_loop();
        if (cmd == "publish") return publish(in);
        if (cmd == "lookup") return lookup(in);
        if (cmd == "list") return list();
        if (cmd == "withdraw-stale") {
            auto n = Directory(*area_).withdraw_stale();
            return n ? "ok " + std::to_string(*n) : err(n.error());
        }
        if (cmd == "publish-loop") return publish_loop(in);
        if (cmd == "race") return race(in);
        if (cmd == "scribble") return scribble(in);
        return err(EINVAL, "unknown command '" + cmd + "'");
    }

private:
    std::string open(std::istringstream& in) {
        std::string name, dir;
        in >> name >> dir;
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = dir;
        auto d = Domain::open(name, o);
        if (!d) return err(d.error());
        domain_.emplace(std::move(d).value());
        return "ok self=" + std::to_string(domain_->self());
    }
    std::string attach(std::istringstream& in) {
        DataAreaOptions o;
        in >> o.arena_slot_size;
        auto a = DataArea::attach(*domain_, o);
        if (!a) return err(a.error());
        area_.emplace(std::move(a).value());
        return "ok formatted=" + std::to_string(area_->info().formatted_here ? 1 : 0) +
               " epoch=" + std::to_string(area_->self().epoch) + " slots=" + std::to_string(area_->info().arena_slots);
    }
    std::string claim(std::istringstream& in) {
        std::uint64_t bytes = 0;
        in >> bytes;
        auto a = Arena::claim(*area_, bytes);
        if (!a) return err(a.error());
        arena_.emplace(std::move(a).value());
        return "ok first=" + std::to_string(arena_->first_slot()) + " count=" + std::to_string(arena_->slot_count()) +
               " offset=" + std::to_string(arena_->offset());
    }
    std::string present(std::istringstream& in) {
        std::uint32_t id = 0;
        if (!(in >> id)) return err(EINVAL, "present ID");
        auto h = domain_->header();
        if (!h) return err(h.error());
        return std::string("ok ") + (header_is_present(&*h, id) ? "1" : "0");
    }
    std::string slots() {
        std::string s = "ok";
        for (const ArenaSlotState& x : area_->arena_slots())
            s += " " + std::to_string(x.owner.id) + ":" + std::to_string(x.owner.epoch) + ":" + (x.live ? "1" : "0");
        return s;
    }
    // Claims runs of random length, writes this process's tag at the start of
    // every slot, yields, and checks nobody else's tag is there.
    std::string claim_stress(std::istringstream& in) {
        int rounds = 0;
        in >> rounds;
        std::mt19937 rng(static_cast<unsigned>(::getpid()));
        const std::uint64_t slot = area_->info().arena_slot_size;
        const auto tag = static_cast<std::uint32_t>(::getpid());
        int claims = 0, conflicts = 0;
        for (int i = 0; i < rounds; ++i) {
            auto a = Arena::claim(*area_, (1 + rng() % 4) * slot);
            if (!a) continue;
            ++claims;
            for (std::uint64_t o = 0; o < a->size(); o += slot) std::memcpy(a->data() + o, &tag, 4);
            std::this_thread::yield();
            for (std::uint64_t o = 0; o < a->size(); o += slot)
                if (std::memcmp(a->data() + o, &tag, 4) != 0) ++conflicts;
            if (!a->owned()) ++conflicts;
        }
        return "ok claims=" + std::to_string(claims) + " conflicts=" + std::to_string(conflicts);
    }
    std::string claim_loop() {
        reply("ok");
        std::mt19937 rng(static_cast<unsigned>(::getpid()));
        std::vector<Arena> held;
        for (;;) {
            auto a = Arena::claim(*area_, (1 + rng() % 3) * area_->info().arena_slot_size);
            if (a) {
                std::memset(a->data(), 0x77, 64);
                held.push_back(std::move(a).value());
            }
            if (held.size() > 3 || (!a && !held.empty())) held.erase(held.begin());
        }
    }
    std::string publish(std::istringstream& in) {
        std::string name;
        std::uint64_t off = 0, size = 0;
        in >> name >> off >> size;
        auto st = Directory(*area_).publish(name, off, size);
        return st ? "ok" : err(st.error());
    }
    std::string lookup(std::istringstream& in) {
        std::string name;
        in >> name;
        auto e = Directory(*area_).lookup(name);
        if (!e) return err(e.error());
        return "ok offset=" + std::to_string(e->offset) + " size=" + std::to_string(e->size) +
               " owner=" + std::to_string(e->owner.id) + ":" + std::to_string(e->owner.epoch);
    }
    std::string list() {
        std::string s = "ok";
        for (const DirectoryEntry& e : Directory(*area_).list()) s += " " + e.name + ":" + (e.live ? "1" : "0");
        return s;
    }
    std::string publish_loop(std::istringstream& in) {
        std::string prefix;
        in >> prefix;
        reply("ok");
        Directory d(*area_);
        const std::uint64_t off = area_->info().arena_offset;
        for (std::uint64_t i = 0;; ++i) {
            const std::string name = prefix + "." + std::to_string(i % 40);
            if (!d.publish(name, off, 64)) (void)d.withdraw(name);
        }
    }
    std::string race(std::istringstream& in) {
        std::string prefix;
        int rounds = 0;
        std::int64_t start = 0;
        in >> prefix >> rounds >> start;
        Directory d(*area_);
        std::string won;
        int other = 0;
        for (int r = 0; r < rounds; ++r) {
            const std::int64_t at = start + std::int64_t{r} * 1000000;
            while (realtime_ns() < at) {
            }
            auto st = d.publish(prefix + "." + std::to_string(r), area_->info().arena_offset, 64);
            if (st)
                won += (won.empty() ? "" : ",") + std::to_string(r);
            else if (st.error().sys != EEXIST)
                ++other;
        }
        return "ok won=" + won + " other=" + std::to_string(other);
    }
    std::string scribble(std::istringstream& in) {
        std::string name;
        long ms = 0;
        in >> name >> ms;
        auto e = Directory(*area_).lookup(name);
        if (!e) return err(e.error());
        std::byte* p = area_->at(e->offset, e->size);
        std::mt19937_64 rng(static_cast<unsigned>(::getpid()));
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        std::uint64_t writes = 0;
        while (std::chrono::steady_clock::now() < until) {
            const std::uint64_t v = rng() % 3 == 0 ? rng() % 64 : rng();
            std::memcpy(p + (rng() % (e->size / 8)) * 8, &v, 8);
            ++writes;
            if (writes % 16 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
        return "ok writes=" + std::to_string(writes);
    }

public:
    int fd = -1;
    void reply(const std::string& line) { memdomain::test::agent_reply(fd, line); }

private:
    std::optional<Domain> domain_;
    std::optional<DataArea> area_;
    std::optional<Arena> arena_;
};

}  // namespace

int main(int argc, char** argv) {
    Agent agent;
    return memdomain::test::run_line_agent(argc, argv, "md_datapath_agent", [&](int fd, const std::string& line,
                                                                                  bool& quit) {
        agent.fd = fd;
        return agent.handle(line, quit);
    });
}
