// The hook's settings: /etc/memdomain/hook.conf. libvirt runs the hook with
// a bare environment (LC_ALL, PATH, HOME: no MEMDOMAIN_SOCKET_DIR), so this
// file is the only way to point it elsewhere than memdomaind's default.
//
// Format: one "key = value" a line; blank lines and '#' comments (to the end
// of a line) are ignored; every key at most once; an unknown key or a bad
// value is an error naming FILE:LINE. Keys:
//   socket_dir = /run/memdomain   memdomaind's socket directory (absolute).
//                                 A <shmem> whose <server path> is in it is
//                                 a memdomain; so is a memory-backend-file
//                                 whose mem-path is in its ns/ folder.
//   timeout = 5s                  how long to wait for each of memdomaind's
//                                 answers (ms or s; 100ms .. 60s).
// No file: the defaults.
#pragma once

#include <chrono>
#include <string>

#include "memdomain/common/result.h"

namespace memdomain::hook {

inline constexpr const char* kHookConfPath = "/etc/memdomain/hook.conf";

struct HookConfig {
    std::string socket_dir = "/run/memdomain";
    std::chrono::milliseconds timeout{5000};
};

// The settings in `path`, or the defaults when it does not exist.
Result<HookConfig> load_hook_config(const std::string& path = kHookConfPath);
// The same from text (`name` for messages).
Result<HookConfig> parse_hook_config(const std::string& text, const std::string& name);

}  // namespace memdomain::hook
