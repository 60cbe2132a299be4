// The fds memdomain-keeper holds for its child, by name, in the order they
// were stored: what the next child receives as fds 3, 4, ... and
// $LISTEN_FDNAMES. Storing under a name already used replaces (and closes)
// every fd held under it; several fds may share one name when they came in
// one message.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::keeper {

class StoredFds {
public:
    // Limits that keep a restart possible: every fd must fit the child's fd
    // table, and $LISTEN_FDNAMES must stay under the kernel's 128 KiB limit
    // for one environment string.
    static constexpr std::size_t kMaxFds = 1024;
    static constexpr std::size_t kMaxNamesLength = 64 * 1024;

    // Keeps `fds` under `name` (a valid fd name, see persist/fd_store.h),
    // replacing what was there. Returns how many old fds were closed.
    // EMFILE when a limit would be passed: nothing changes, and `fds` are
    // closed when the caller drops them.
    Result<std::size_t> store(const std::string& name, std::vector<sys::UniqueFd>& fds);
    // Closes every fd held under `name`; returns how many.
    std::size_t remove(const std::string& name);
    void clear() { entries_.clear(); }

    std::size_t size() const { return entries_.size(); }
    std::vector<int> fds() const;
    // The names joined with ':', one per fd: $LISTEN_FDNAMES.
    std::string joined_names() const;

private:
    struct Entry {
        std::string name;
        sys::UniqueFd fd;
    };
    std::vector<Entry> entries_;
};

}  // namespace memdomain::keeper
