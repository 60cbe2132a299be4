// File metadata (lstat) and the clocks on which a file's modification time
// and a process's start time can be compared: what the server needs to trust
// a pid file (host-server/acl/libvirt_vm.h). Wrapped once, errors as values.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "memdomain/common/result.h"

namespace memdomain::sys {

struct FileStatus {
    uid_t uid = 0;
    gid_t gid = 0;
    mode_t mode = 0;  // type and permission bits, as st_mode
    nlink_t links = 0;
    bool regular = false;
    bool directory = false;
    bool symlink = false;
    std::int64_t mtime_ns = 0;  // CLOCK_REALTIME, nanoseconds since the epoch
};

// lstat(2): a symlink is described as itself, never followed.
Result<FileStatus> file_status(const std::string& path);

// When process `pid` started, in nanoseconds of CLOCK_BOOTTIME (field 22 of
// /proc/PID/stat, in clock ticks: 10 ms resolution with USER_HZ = 100).
Result<std::int64_t> process_start_boottime_ns(pid_t pid);

// CLOCK_REALTIME - CLOCK_BOOTTIME now, in nanoseconds: a file's mtime minus
// this is the boot-clock instant it was written at (modulo clock steps since).
std::int64_t realtime_minus_boottime_ns();

}  // namespace memdomain::sys
