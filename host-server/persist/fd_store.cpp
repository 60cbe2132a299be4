#include "persist/fd_store.h"

#include <cstdlib>
#include <vector>

#include "memdomain/sys/socket.h"

namespace memdomain::persist {
namespace {

constexpr std::size_t kMaxFdNameLength = 255;  // systemd's FDNAME_MAX

}  // namespace

Status validate_fd_name(std::string_view name) {
    if (name.empty()) return make_error("fd name is empty", EINVAL);
    if (name.size() > kMaxFdNameLength)
        return make_error("fd name of " + std::to_string(name.size()) + " characters is longer than " +
                              std::to_string(kMaxFdNameLength),
                          EINVAL);
    for (unsigned char c : name) {
        if (c < 0x20 || c >= 0x7f)
            return make_error("fd name '" + std::string(name) + "' holds a control or non-ASCII character", EINVAL);
        if (c == ':') return make_error("fd name '" + std::string(name) + "' holds ':', the list separator", EINVAL);
    }
    return {};
}

FdStore FdStore::from_environment() {
    const char* path = std::getenv("NOTIFY_SOCKET");
    return FdStore(path != nullptr ? path : "");
}

Status FdStore::check_socket() const {
    if (socket_[0] != '/' && socket_[0] != '@')
        return make_error("NOTIFY_SOCKET '" + socket_ + "' is neither an absolute path nor an abstract '@' name",
                          EAFNOSUPPORT);
    return {};
}

Status FdStore::store(const std::string& name, int fd) const {
    MD_TRY(validate_fd_name(name));
    if (fd < 0) return make_error("fd store: '" + name + "': no fd to store", EINVAL);
    if (!enabled()) return {};
    MD_TRY(check_socket());
    if (auto st = sys::send_datagram_with_fds(socket_, "FDSTORE=1\nFDNAME=" + name, std::vector<int>{fd}); !st)
        return make_error("fd store: storing '" + name + "': " + st.error().message, st.error().sys);
    return {};
}

Status FdStore::remove(const std::string& name) const {
    MD_TRY(validate_fd_name(name));
    if (!enabled()) return {};
    MD_TRY(check_socket());
    if (auto st = sys::send_datagram(socket_, "FDSTOREREMOVE=1\nFDNAME=" + name); !st)
        return make_error("fd store: removing '" + name + "': " + st.error().message, st.error().sys);
    return {};
}

}  // namespace memdomain::persist
