// Hands file descriptors to the service manager for safekeeping: systemd's
// file-descriptor store (sd_notify(3), "FDSTORE=1"), spoken by systemd for a
// unit with FileDescriptorStoreMax= and by memdomain-keeper elsewhere.
//
// Protocol: one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (a
// path, or '@name' in the abstract namespace), text
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
    // Reads $NOTIFY_SOCKET; disabled when it is unset or empty.
    static FdStore from_environment();
    // A store talking to `notify_socket` (empty: disabled).
    explicit FdStore(std::string notify_socket) : socket_(std::move(notify_socket)) {}

    // Whether a service manager listens: without one, store() and remove()
    // check the name and do nothing else.
    bool enabled() const { return !socket_.empty(); }
    const std::string& notify_socket() const { return socket_; }

    // Sends a duplicate of `fd` to be kept under `name`; `fd` stays ours.
    // Errors: EINVAL (bad name or fd), EAFNOSUPPORT ($NOTIFY_SOCKET is neither
    // an absolute path nor '@name'), and sendmsg's (ECONNREFUSED: nobody
    // listens; EPERM/EAGAIN as the socket gives them).
    Status store(const std::string& name, int fd) const;
    // Asks the manager to close every fd stored under `name`. Same errors.
    Status remove(const std::string& name) const;

private:
    Status check_socket() const;
    std::string socket_;
};

}  // namespace memdomain::persist
