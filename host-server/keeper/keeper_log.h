// memdomain-keeper's log: spdlog, like memdomaind's, one line per event on
// stderr ("<time> <level> memdomain-keeper: <text>"), flushed at once so the
// lines keep their place among the child's output on the same stream.
// (Between fork and exec the child reports through a raw write(2) instead:
// nothing that takes a lock may run there.)
#pragma once

#include <spdlog/spdlog.h>

namespace memdomain::keeper {

// Makes the keeper's logger the default one; call once, first thing.
void setup_logging();

}  // namespace memdomain::keeper
