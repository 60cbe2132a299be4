// Hands file descriptors to the service manager for safekeeping: systemd's
// file-descriptor store ("FDSTORE=1", sd_pid_notify_with_fds(3)), kept by
// systemd for a unit with FileDescriptorStoreMax= and by memdomain-keeper
// elsewhere. The messages go through persist/notify.h (libsystemd).
//
//     "FDSTORE=1\nFDNAME=<name>"        with the fd attached (SCM_RIGHTS)
//     "FDSTOREREMOVE=1\nFDNAME=<name>"  to drop every fd stored under <name>
// The manager keeps a duplicate of the fd; on the next start of the service
// it passes all of them back as $LISTEN_FDS (see inherited_fds.h). For a
// memfd this means the memory survives the process: a crash, kill -9 or an
// upgrade restart loses nothing.
//
// Names: what systemd accepts in $LISTEN_FDNAMES, minus the empty name: 1 to
// 255 printable ASCII characters, no ':' (the list separator).
//
// Same name twice: memdomain-keeper replaces the old fd (and closes it).
// systemd keeps both unless they are the same open file; to replace under
// systemd, remove() the name first, or give each memfd a name of its own.
#pragma once

#include <string>
#include <string_view>

#include "memdomain/common/result.h"

namespace memdomain::persist {

// EINVAL with a message naming the fault when `name` cannot be an fd name.
Status validate_fd_name(std::string_view name);

class FdStore {
public:
    // The manager $NOTIFY_SOCKET names; disabled when it is unset or empty.
    static FdStore from_environment();

    // Whether a service manager listens: without one, store() and remove()
    // check the name and do nothing else.
    bool enabled() const { return enabled_; }

    // Sends a duplicate of `fd` to be kept under `name`; `fd` stays ours.
    // Errors: EINVAL (bad name or fd), and libsystemd's (ECONNREFUSED:
    // nobody listens; EAFNOSUPPORT: $NOTIFY_SOCKET is no address it knows),
    // each naming `name`.
    Status store(const std::string& name, int fd) const;
    // Asks the manager to close every fd stored under `name`. Same errors.
    Status remove(const std::string& name) const;

private:
    explicit FdStore(bool enabled) : enabled_(enabled) {}
    bool enabled_ = false;
};

}  // namespace memdomain::persist
