// memdomainctl's command line, parsed with Boost.Program_options:
//   memdomainctl [--socket-dir DIR] [--json] VERB [NAME]
//   memdomainctl --help | VERB --help
// The only place in memdomainctl that may throw: the parser's exceptions
// become an Error here.
#pragma once

#include <optional>
#include <string>

#include "memdomain/common/result.h"

namespace memdomain::ctl {

struct CtlCommand {
    std::string socket_dir;  // resolved: --socket-dir, $MEMDOMAIN_SOCKET_DIR, /run/memdomain
    bool json = false;       // print the raw result instead of a table
    std::string verb;        // as the control protocol names it
    std::optional<std::string> name;  // the domain, for verbs about one domain
};

// Run a command, or print text (help) and exit 0.
struct CtlParsed {
    std::optional<CtlCommand> run;
    std::string print;
};

// Errors: an unknown verb or option, a missing or surplus NAME (usage errors).
Result<CtlParsed> parse_ctl_command_line(int argc, const char* const* argv);

}  // namespace memdomain::ctl
