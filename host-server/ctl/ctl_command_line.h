// memdomainctl's command line, parsed with Boost.Program_options, and the
// control request it stands for:
//   memdomainctl [--socket-dir DIR] [--json] VERB [OPERAND...]
//   memdomainctl --help | VERB --help
// The operands per verb (memdomainctl --help lists them):
//   list | stats
//   show | qemu-args NAME
//   libvirt-xml NAME [--vm VM] [--readonly]
//   create FILE | create - (stdin) | create --text TEXT
//   destroy NAME [--force]
//   grant NAME user|group|vm PRINCIPAL R/W|R/O
//   revoke NAME user|group|vm PRINCIPAL
//   release VM [NAME]
//   attach VM NAME [--persistent] [--readonly] [--connect URI]   (libvirt)
//   detach VM NAME [--persistent] [--connect URI]                (libvirt)
// Exit codes are main.cpp's (and --help's): 0 ok, 1 error, 2 ENOENT,
// 3 unreachable, 4 EPERM/EACCES, 5 EBUSY, 6 EEXIST.
// The only place in memdomainctl that may throw: the parser's exceptions
// become an Error here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "memdomain/common/result.h"

namespace memdomain::ctl {

struct CtlCommand {
    std::string socket_dir;  // resolved: --socket-dir, $MEMDOMAIN_SOCKET_DIR, /run/memdomain
    bool json = false;       // print the raw result instead of a table
    std::string verb;        // as the control protocol names it
    std::optional<std::string> name;  // the domain, for verbs about one domain
    std::vector<std::string> operands;  // after NAME (grant, revoke: KIND PRINCIPAL [ACCESS]); create: FILE
    bool force = false;                 // destroy --force
    std::optional<std::string> text;    // create --text
    std::optional<std::string> vm;      // libvirt-xml --vm; release, attach, detach: the VM operand
    bool readonly = false;              // libvirt-xml, attach --readonly
    bool persistent = false;            // attach, detach --persistent
    std::optional<std::string> connect; // attach, detach --connect: libvirt's URI

    // attach and detach go through libvirt (ctl/libvirt_attach.h), with
    // control requests of their own.
    bool through_libvirt() const { return verb == "attach" || verb == "detach"; }
};

// Run a command, or print text (help) and exit 0.
struct CtlParsed {
    std::optional<CtlCommand> run;
    std::string print;
};

// Errors (EINVAL): an unknown verb or option, missing or surplus operands,
// an option another verb takes (usage errors).
Result<CtlParsed> parse_ctl_command_line(int argc, const char* const* argv);

// The request line's object for `cmd`; `progress` asks a create for progress
// lines. Reads create's FILE (or stdin for "-"); errors name the file, or
// say the text does not fit in one request line (E2BIG).
Result<nlohmann::json> build_request(const CtlCommand& cmd, bool progress);

}  // namespace memdomain::ctl
