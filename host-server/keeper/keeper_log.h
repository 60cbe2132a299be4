// memdomain-keeper's log: one line per event on stderr, prefixed
// "memdomain-keeper: ", written with a single write(2) so that lines never
// interleave with the child's output on the same stream.
#pragma once

#include <string_view>

namespace memdomain::keeper {

void log_line(std::string_view text);

}  // namespace memdomain::keeper
