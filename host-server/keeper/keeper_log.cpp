#include "keeper/keeper_log.h"

#include <unistd.h>

#include <cerrno>
#include <string>

namespace memdomain::keeper {

void log_line(std::string_view text) {
    std::string line = "memdomain-keeper: ";
    line.append(text);
    line.push_back('\n');
    // A log that cannot be written is not a reason to stop keeping memory.
    ssize_t n;
    do n = ::write(STDERR_FILENO, line.data(), line.size());
    while (n < 0 && errno == EINTR);
}

}  // namespace memdomain::keeper
