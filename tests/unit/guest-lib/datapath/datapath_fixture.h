// What the data-path unit tests share: a real memdomaind serving one small
// 4K-page domain, and peers opened on it from this process (each Domain is
// its own attachment with its own id and epoch; the cross-process cases are
// in tests/integration/datapath).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "eventually.h"
#include "memdomain/data_area.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

namespace memdomain::test {

inline constexpr std::uint64_t kTestSlot = 64 * 1024;

class DatapathTest : public ::testing::Test {
protected:
    explicit DatapathTest(const std::string& size = "4MB", unsigned vectors = 2, const std::string& access = "R/W")
        : server_(domain_config("Dp", size, vectors, "4K", access)) {}

    void SetUp() override { ASSERT_TRUE(server_.ok()) << server_.start_error(); }

    // A new attachment (a new peer id) of domain "Dp".
    Domain& peer() {
        OpenOptions o;
        o.transport = TransportKind::Socket;
        o.socket_dir = server_.socket_dir();
        auto d = Domain::open("Dp", o);
        EXPECT_TRUE(d) << d.error().message;
        if (!d) std::abort();
        peers_.push_back(std::make_unique<Domain>(std::move(d).value()));
        return *peers_.back();
    }
    // Closes an attachment (as a peer that dies would be seen: the server
    // clears its presence bit) and waits until `observer` sees it gone.
    void drop(Domain& d, const DataArea& observer) {
        const Attachment gone{d.self(), 0};
        for (auto& p : peers_)
            if (p.get() == &d) p.reset();
        ASSERT_TRUE(eventually([&] {
            return !header_is_present(reinterpret_cast<const SegmentHeader*>(observer.data() - observer.info().data_offset),
                                      gone.id);
        }));
    }
    DataAreaOptions small_slots() const {
        DataAreaOptions o;
        o.arena_slot_size = kTestSlot;
        return o;
    }
    DataArea attach(Domain& d, const DataAreaOptions& o) {
        auto a = DataArea::attach(d, o);
        EXPECT_TRUE(a) << a.error().message;
        if (!a) std::abort();
        return std::move(a).value();
    }
    DataArea attach(Domain& d) { return attach(d, small_slots()); }
    // Keeps `obj` and never destroys it, as a peer that dies holding it
    // leaves it: no destructor gives back what it holds. It stays reachable
    // from a static list, so LeakSanitizer does not call it a leak.
    template <class T>
    static void die_holding(T obj) {
        static auto* kept = new std::vector<void*>();
        kept->push_back(new T(std::move(obj)));
    }

    Server server_;
    std::vector<std::unique_ptr<Domain>> peers_;
};

}  // namespace memdomain::test
