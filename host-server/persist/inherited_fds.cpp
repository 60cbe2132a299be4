#include "persist/inherited_fds.h"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>

namespace memdomain::persist {

Result<std::vector<InheritedFd>> take_inherited_fds() {
    char** names = nullptr;
    const int n = ::sd_listen_fds_with_names(/*unset_environment=*/1, &names);
    if (n < 0) return make_error(std::string("inherited fds ($LISTEN_FDS): ") + std::strerror(-n), -n);
    std::vector<InheritedFd> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(InheritedFd{names != nullptr && names[i] != nullptr ? names[i] : "unknown",
                                  sys::UniqueFd(SD_LISTEN_FDS_START + i)});
    }
    if (names != nullptr) {
        for (int i = 0; names[i] != nullptr; ++i) std::free(names[i]);
        std::free(names);
    }
    return out;
}

}  // namespace memdomain::persist
