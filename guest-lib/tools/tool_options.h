// What memdomain-info and memdomain-ping share: the transport options every
// tool accepts, and how an error becomes an exit code and a message.
#pragma once

#include <boost/program_options.hpp>
#include <string>

#include "memdomain/domain.h"

namespace memdomain::tools {

// Exit codes of every tool.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitNotFound = 2;

struct TransportOptions {
    std::string socket_dir, sysfs_root, transport = "auto";
};

// --socket-dir, --sysfs-root, --transport into `t`.
void add_transport_options(boost::program_options::options_description& desc, TransportOptions& t);
// Builds OpenOptions; an unknown transport name is an EINVAL error.
Result<OpenOptions> to_open_options(const TransportOptions& t);
// Prints "<tool>: <message>" to stderr and returns the exit code for it
// (kExitNotFound for ENOENT, else kExitError).
int report(const char* tool, const Error& e);

}  // namespace memdomain::tools
