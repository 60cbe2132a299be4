#include "persist/notify.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

namespace memdomain::persist {

std::string fd_store_message(std::string_view name) { return "FDSTORE=1\nFDNAME=" + std::string(name); }

std::string fd_store_remove_message(std::string_view name) {
    return "FDSTOREREMOVE=1\nFDNAME=" + std::string(name);
}

bool notify_socket_set() {
    const char* s = std::getenv("NOTIFY_SOCKET");
    return s != nullptr && *s != '\0';
}

Result<bool> notify(std::string_view state, const std::vector<int>& fds) {
    const std::string text(state);
    const int r = ::sd_pid_notify_with_fds(0, 0, text.c_str(), fds.empty() ? nullptr : fds.data(),
                                           static_cast<unsigned>(fds.size()));
    if (r > 0) return true;
    if (r == 0) return false;
    const std::string first = text.substr(0, text.find('\n'));
    return make_error("notifying the service manager (" + first + "): " + std::strerror(-r), -r);
}

Notification parse_notification(std::string_view text) {
    Notification n;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line == kReady)
            n.ready = true;
        else if (line == kStopping)
            n.stopping = true;
        else if (line == "FDSTORE=1")
            n.fd_store = true;
        else if (line == "FDSTOREREMOVE=1")
            n.fd_store_remove = true;
        else if (line.starts_with("FDNAME=") && !n.fd_name)
            n.fd_name = std::string(line.substr(7));
    }
    return n;
}

}  // namespace memdomain::persist
