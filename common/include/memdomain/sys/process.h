// Process and file-metadata system calls (links, owners, modes), wrapped once.
#pragma once

#include <sys/types.h>

#include <string>

#include "memdomain/common/result.h"

namespace memdomain::sys {

// Where a symlink points (readlink).
Result<std::string> read_symlink(const std::string& path);
// The executable of a running process (readlink /proc/PID/exe).
Result<std::string> process_executable(pid_t pid);
// "/proc/<our pid>/fd/<fd>": a path through which root or our own user can
// reopen the file behind one of our descriptors.
std::string own_fd_path(int fd);
// chown and chmod of a path (a socket file, right after bind).
Status set_owner(const std::string& path, uid_t uid, gid_t gid);
Status set_mode(const std::string& path, mode_t mode);
// Makes `link_path` a symlink to `target`, replacing whatever link was there
// (atomically, through a temporary name and rename).
Status replace_symlink(const std::string& target, const std::string& link_path);
// Open descriptors of this process (entries of /proc/self/fd, not counting
// the one used to list them); -1 with errno set when /proc cannot be read
// (EMFILE: no descriptor was left to open it with).
long count_open_fds();
// The soft RLIMIT_NOFILE: how many descriptors this process may hold.
long open_fd_limit();

}  // namespace memdomain::sys
