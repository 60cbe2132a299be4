// Checks shared by the heap tests: a witness peer (this test process) whose
// own arena nobody else may touch, and the whole "objects land inside the
// arena" scenario, run with or without hugepages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "memdomain/arena.h"
#include "memdomain/data_area.h"
#include "memdomain/domain.h"
#include "server_fixture.h"

namespace memdomain::test::dpdk {

struct Witness {
    std::optional<Domain> domain;
    std::optional<DataArea> area;
    std::optional<Arena> arena;
    // Attaches, claims a 4 MiB arena and fills it with a pattern (gtest
    // assertions on failure).
    void open(const Server& s, const std::string& name);
    bool intact() const;
    // Whether [offset, offset + size) of the data area overlaps our arena.
    bool overlaps(std::uint64_t offset, std::uint64_t size) const;
};

// dpdk_peer heap against a fresh server: every object inside the peer's
// arena, the witness untouched, detach refused while busy, IOVAs right.
void objects_inside_arena(bool hugepages);

}  // namespace memdomain::test::dpdk
