#include "persist/fd_store.h"

#include <vector>

#include "persist/notify.h"

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

FdStore FdStore::from_environment() { return FdStore(notify_socket_set()); }

Status FdStore::store(const std::string& name, int fd) const {
    MD_TRY(validate_fd_name(name));
    if (fd < 0) return make_error("fd store: '" + name + "': no fd to store", EINVAL);
    if (!enabled()) return {};
    if (auto sent = notify(fd_store_message(name), std::vector<int>{fd}); !sent)
        return make_error("fd store: storing '" + name + "': " + sent.error().message, sent.error().sys);
    return {};
}

Status FdStore::remove(const std::string& name) const {
    MD_TRY(validate_fd_name(name));
    if (!enabled()) return {};
    if (auto sent = notify(fd_store_remove_message(name)); !sent)
        return make_error("fd store: removing '" + name + "': " + sent.error().message, sent.error().sys);
    return {};
}

}  // namespace memdomain::persist
