#include "keeper/notification.h"

namespace memdomain::keeper {

Notification parse_notification(std::string_view text) {
    Notification n;
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line == "READY=1")
            n.ready = true;
        else if (line == "STOPPING=1")
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

}  // namespace memdomain::keeper
