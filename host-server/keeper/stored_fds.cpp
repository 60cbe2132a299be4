#include "keeper/stored_fds.h"

#include <algorithm>

namespace memdomain::keeper {

Result<std::size_t> StoredFds::store(const std::string& name, std::vector<sys::UniqueFd>& fds) {
    std::size_t kept_count = 0, kept_names = 0;
    for (const Entry& e : entries_) {
        if (e.name == name) continue;
        ++kept_count;
        kept_names += e.name.size() + 1;
    }
    if (kept_count + fds.size() > kMaxFds)
        return make_error("holding " + std::to_string(kept_count + fds.size()) + " fds would pass the limit of " +
                              std::to_string(kMaxFds),
                          EMFILE);
    if (kept_names + fds.size() * (name.size() + 1) > kMaxNamesLength)
        return make_error("the fd names would pass " + std::to_string(kMaxNamesLength) + " bytes of LISTEN_FDNAMES",
                          EMFILE);
    const std::size_t replaced = remove(name);
    for (sys::UniqueFd& fd : fds) entries_.push_back(Entry{name, std::move(fd)});
    fds.clear();
    return replaced;
}

std::size_t StoredFds::remove(const std::string& name) {
    const std::size_t before = entries_.size();
    std::erase_if(entries_, [&](const Entry& e) { return e.name == name; });
    return before - entries_.size();
}

std::vector<int> StoredFds::fds() const {
    std::vector<int> out;
    out.reserve(entries_.size());
    for (const Entry& e : entries_) out.push_back(e.fd.get());
    return out;
}

std::string StoredFds::joined_names() const {
    std::string out;
    for (const Entry& e : entries_) {
        if (!out.empty()) out.push_back(':');
        out += e.name;
    }
    return out;
}

}  // namespace memdomain::keeper
