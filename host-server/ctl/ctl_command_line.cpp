#include "ctl/ctl_command_line.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

#include <boost/program_options.hpp>

#include "control/control_protocol.h"
#include "memdomain/common/names.h"

namespace po = boost::program_options;

namespace memdomain::ctl {
namespace {

struct VerbHelp {
    const char* name;
    const char* operands;  // as the usage line writes them
    bool takes_name;       // the first operand is a domain name (attach, detach: the second, after the VM)
    std::size_t min_operands, max_operands;  // NAME included
    bool changes;          // root or the admin group only
    const char* summary;
    const char* details;
};

constexpr std::array<VerbHelp, 12> kVerbs = {{
    {"list", "", false, 0, 0, false, "the domains: type, policy, origin, size, instances, memory, peers",
     "One line per domain: name, type, policy, origin (config, runtime: made by\n"
     "create, adopted: memory from an earlier server process), number of\n"
     "segments, size of one instance, instances, bytes resident over all\n"
     "instances, and the peers attached (summed over instances and segments).\n"},
    {"show", "NAME", true, 1, 1, false, "one domain: segments, sockets, access rules, instances and their peers",
     "The domain's settings and access rules (explicit, or the default: root\n"
     "and the server's user), each segment's page size, size, access, socket\n"
     "and namespace entry, then one line per instance (shared; local: one per\n"
     "process; numa: one per node) with its generation, resident/size and\n"
     "peers, followed by those peers: segment, id, pid, uid, gid, access,\n"
     "messages queued in the server and doorbell counters per vector.\n"},
    {"stats", "", false, 0, 0, false, "the server: pid, uptime, domains, peers, fds, hugepage pools",
     "The server's pid and uptime, its domains and attached peers, its open\n"
     "file descriptors, connected control clients, and the host's hugepage\n"
     "pools (total/free/reserved pages per size).\n"},
    {"qemu-args", "NAME", true, 1, 1, false, "the QEMU arguments that attach a VM to the domain",
     "The arguments for every segment, as in qemu-config/README.md: read-write\n"
     "with doorbells (-chardev socket + -device ivshmem-doorbell; not offered\n"
     "when a segment is R/O) and read-only (-object memory-backend-file,\n"
     "readonly=on on the namespace entry + -device ivshmem-plain; shared\n"
     "domains only). --json gives them as arrays.\n"},
    {"libvirt-xml", "NAME [--vm VM] [--readonly]", true, 1, 1, false,
     "the libvirt XML that attaches a VM to the domain",
     "What to paste into a libvirt domain XML's <devices> (docs/libvirt.md):\n"
     "the <shmem> elements that attach every segment through ivshmem-doorbell\n"
     "(read-write, doorbells), or with --readonly a <qemu:commandline> element\n"
     "that maps the domain read-only through ivshmem-plain (shared domains;\n"
     "it goes after </devices>). --vm VM picks the form VM's grant calls for,\n"
     "and fails when it has none.\n"},
    {"create", "FILE | - | --text TEXT", false, 0, 1, true, "a new domain from config text",
     "FILE (or stdin for -, or TEXT) holds exactly one \"memdomain NAME { ... }\"\n"
     "block in the config file's language; errors point into it as\n"
     "request:LINE:COL. The server checks the name, the access principals and\n"
     "the hugepage pool, creates and (policy = static) prefaults the memory,\n"
     "then serves it; the domain survives server restarts until destroyed.\n"
     "On a terminal a progress bar is drawn on stderr while the memory is\n"
     "prefaulted. Prints the new domain as show does. Waits up to 10 minutes.\n"},
    {"destroy", "NAME [--force]", true, 1, 1, true, "removes a domain and frees its memory",
     "Refused (exit 5) while peers are attached; --force disconnects them\n"
     "first (their own mappings stay valid until they unmap). The memory goes\n"
     "back to its pool once no process maps it.\n"},
    {"grant", "NAME user|group|vm PRINCIPAL R/W|R/O", true, 4, 4, true,
     "gives a user, group or libvirt VM access to a domain",
     "Adds the entry, or replaces the one for that principal. A user or group\n"
     "is a name or numeric id known to this host; a vm is a libvirt VM's name\n"
     "(its QEMU is recognised by libvirt's pid file), or '*': any VM whose\n"
     "domain XML names the domain, through the libvirt hook. A domain without\n"
     "an access block first gets its explicit default (root and the server's\n"
     "user, R/W). R/O for root or the server's user is refused: the kernel\n"
     "cannot hold them to it. Peers that the new rules no longer admit are\n"
     "disconnected. Prints the access rules now in force.\n"},
    {"revoke", "NAME user|group|vm PRINCIPAL", true, 3, 3, true, "removes an access entry",
     "Removes the entry for that principal (exit 2 if there is none; for a vm,\n"
     "its lease goes too) and disconnects the peers the remaining rules no\n"
     "longer admit. Prints the access rules now in force.\n"},
    {"release", "VM [NAME]", false, 1, 2, true, "drops a libvirt VM's leases",
     "Drops the leases VM holds (grants for one run of the VM, made by the\n"
     "libvirt hook or attach) on domain NAME, or on every domain, and\n"
     "disconnects the VM's peers that nothing else admits.\n"},
    {"attach", "VM NAME [--persistent] [--readonly] [--connect URI]", false, 2, 2, true,
     "hot-plugs the domain into a running libvirt VM",
     "Leases the domain to VM (no libvirt hook runs for a hot-plug), then\n"
     "attaches it through libvirt: the <shmem> elements of libvirt-xml\n"
     "(virDomainAttachDeviceFlags), or with --readonly an ivshmem-plain device\n"
     "on a read-only backend (QMP through libvirt; shared domains; the VM\n"
     "needs a hot-pluggable PCI bus: a pcie-to-pci-bridge on q35).\n"
     "--persistent also adds it to the VM's persistent definition. The lease\n"
     "is dropped again when the attach fails. --connect: libvirt's URI\n"
     "(default: libvirt's, qemu:///system for root).\n"},
    {"detach", "VM NAME [--persistent] [--connect URI]", false, 2, 2, true,
     "hot-unplugs the domain from a running libvirt VM",
     "Detaches the VM's devices of the domain (read-write or read-only) through\n"
     "libvirt, then drops the VM's lease. --persistent also removes them from\n"
     "the persistent definition.\n"},
}};

const VerbHelp* find_verb(const std::string& v) {
    for (const auto& h : kVerbs)
        if (v == h.name) return &h;
    return nullptr;
}

std::string verb_names() {
    std::string s;
    for (const auto& h : kVerbs) s += (s.empty() ? "" : ", ") + std::string(h.name);
    return s;
}

std::string usage(const VerbHelp& h) {
    return std::string("memdomainctl [--socket-dir DIR] [--json] ") + h.name + (*h.operands ? " " : "") + h.operands;
}

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  error: usage, protocol, or anything else the server refused (EINVAL,\n"
    "     ENOMEM, ...); the message says what\n"
    "  2  no such domain (ENOENT; revoke: no such entry; attach, detach: no such\n"
    "     VM or device)\n"
    "  3  memdomaind (or, for attach and detach, libvirt) not running or unreachable\n"
    "  4  not allowed: a changing verb without root or the admin group (EPERM),\n"
    "     or no permission on control.sock (EACCES)\n"
    "  5  busy: destroy with peers attached and no --force, or the domain is\n"
    "     still being created (EBUSY)\n"
    "  6  create: the name is taken (EEXIST)\n";

std::string overall_help(const po::options_description& opts) {
    std::ostringstream o;
    o << "memdomainctl: look at and change what a running memdomaind serves, through\n"
         "<socket dir>/control.sock.\n\n"
         "Usage: memdomainctl [--socket-dir DIR] [--json] VERB [OPERAND...]\n"
         "       memdomainctl VERB --help\n";
    for (bool changes : {false, true}) {
        o << (changes ? "\nChanging verbs (root, or a member of the config's server { admin_group }):\n"
                      : "\nReading verbs (anyone who may connect to control.sock):\n");
        for (const auto& h : kVerbs) {
            if (h.changes != changes) continue;
            std::string left = std::string(h.name) + (*h.operands ? " " : "") + h.operands;
            o << "  " << left << "\n      " << h.summary << "\n";
        }
    }
    o << "\n" << opts << "\n" << kExitCodes;
    return o.str();
}

std::string verb_help(const VerbHelp& h) {
    std::string summary = h.summary;
    summary[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(summary[0])));
    return "Usage: " + usage(h) + "\n\n" + summary + ".\n\n" + h.details + "\n" +
           (h.changes ? "Needs root or membership of the config's server { admin_group }.\n" : "") +
           "--json prints the server's result object as it came.\n\n" + kExitCodes;
}

// Operand counts and verb-only options; the command on success.
Result<CtlCommand> check_operands(const VerbHelp& h, const po::variables_map& vm) {
    const auto ops = vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
    const std::string verb = h.name;
    CtlCommand cmd;
    cmd.verb = verb;
    cmd.json = vm.count("json") > 0;
    cmd.force = vm.count("force") > 0;
    if (vm.count("text")) cmd.text = vm["text"].as<std::string>();
    cmd.readonly = vm.count("readonly") > 0;
    cmd.persistent = vm.count("persistent") > 0;
    if (vm.count("connect")) cmd.connect = vm["connect"].as<std::string>();
    if (vm.count("vm")) cmd.vm = vm["vm"].as<std::string>();
    if (cmd.force && verb != "destroy") return make_error("--force is an option of destroy only", EINVAL);
    if (cmd.text && verb != "create") return make_error("--text is an option of create only", EINVAL);
    if (cmd.vm && verb != "libvirt-xml") return make_error("--vm is an option of libvirt-xml only", EINVAL);
    if (cmd.readonly && verb != "libvirt-xml" && verb != "attach")
        return make_error("--readonly is an option of libvirt-xml and attach only", EINVAL);
    if ((cmd.persistent || cmd.connect) && !cmd.through_libvirt())
        return make_error(std::string(cmd.persistent ? "--persistent" : "--connect") +
                              " is an option of attach and detach only",
                          EINVAL);
    if (verb == "create") {
        if (ops.size() + (cmd.text ? 1 : 0) != 1)
            return make_error("create takes one of FILE, - (stdin) or --text TEXT; usage: " + usage(h), EINVAL);
    } else if (ops.size() < h.min_operands) {
        return make_error(verb + (h.takes_name && ops.empty() ? " needs a domain name" : " needs more operands") +
                              "; usage: " + usage(h),
                          EINVAL);
    } else if (ops.size() > h.max_operands) {
        const std::string what = h.max_operands == 0 ? " takes no argument" : " takes fewer operands";
        return make_error(verb + what + " ('" + ops[h.max_operands] + "' given); usage: " + usage(h), EINVAL);
    }
    auto rest = ops.begin();
    if (verb == "release" || cmd.through_libvirt()) {
        cmd.vm = *rest++;
        if (rest != ops.end()) cmd.name = *rest++;
    } else if (h.takes_name) {
        cmd.name = *rest++;
    }
    cmd.operands.assign(rest, ops.end());
    cmd.socket_dir = resolve_socket_dir(vm.count("socket-dir") ? vm["socket-dir"].as<std::string>() : "");
    return cmd;
}

Result<std::string> read_text(const std::string& file) {
    std::string text;
    if (file == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        if (std::cin.bad()) return make_error("cannot read the config text from stdin", EIO);
        return text;
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error("cannot read " + file + ": " + std::strerror(errno), errno ? errno : EIO);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) return make_error("cannot read " + file, EIO);
    return text;
}

}  // namespace

Result<CtlParsed> parse_ctl_command_line(int argc, const char* const* argv) {
    po::options_description opts("Options");
    opts.add_options()("help,h", "this help; after a verb, that verb's help")(
        "socket-dir", po::value<std::string>(),
        "memdomaind's socket directory (default: $MEMDOMAIN_SOCKET_DIR, else /run/memdomain)")(
        "json", "print the server's raw result as JSON instead of a table")(
        "force", "destroy: disconnect attached peers instead of refusing")(
        "text", po::value<std::string>(), "create: the config text itself, instead of FILE")(
        "vm", po::value<std::string>(), "libvirt-xml: the form this libvirt VM's grant calls for")(
        "readonly", "libvirt-xml, attach: the read-only form (ivshmem-plain, no doorbells)")(
        "persistent", "attach, detach: the VM's persistent definition too")(
        "connect", po::value<std::string>(), "attach, detach: libvirt's connection URI");
    po::options_description hidden;
    hidden.add_options()("verb", po::value<std::string>())("args", po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(opts).add(hidden);
    po::positional_options_description pos;
    pos.add("verb", 1).add("args", -1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return make_error(std::string(e.what()) + " (see memdomainctl --help)", EINVAL);
    }

    CtlParsed out;
    const bool help = vm.count("help") > 0;
    if (!vm.count("verb")) {
        if (help) {
            out.print = overall_help(opts);
            return out;
        }
        return make_error("no verb given; verbs: " + verb_names() + " (see memdomainctl --help)", EINVAL);
    }
    const std::string verb = vm["verb"].as<std::string>();
    const VerbHelp* h = find_verb(verb);
    if (!h) return make_error("unknown verb '" + verb + "'; verbs: " + verb_names(), EINVAL);
    if (help) {
        out.print = verb_help(*h);
        return out;
    }
    MD_ASSIGN_OR_RETURN(CtlCommand cmd, check_operands(*h, vm));
    out.run = std::move(cmd);
    return out;
}

Result<nlohmann::json> build_request(const CtlCommand& cmd, bool progress) {
    nlohmann::json req = {{"v", control::kControlProtocolVersion}, {"verb", cmd.verb}};
    if (cmd.name) req["name"] = *cmd.name;
    if (cmd.verb == "create") {
        std::string text;
        if (cmd.text) {
            text = *cmd.text;
        } else {
            MD_ASSIGN_OR_RETURN(text, read_text(cmd.operands.at(0)));
        }
        req["text"] = text;
        if (progress) req["progress"] = true;
        const std::size_t line = control::encode_line(req).size();
        if (line > control::kMaxRequestLine)
            return make_error("the config text makes a request of " + std::to_string(line) + " bytes; one request line "
                              "holds at most " + std::to_string(control::kMaxRequestLine),
                              E2BIG);
    } else if (cmd.verb == "destroy") {
        if (cmd.force) req["force"] = true;
    } else if (cmd.verb == "grant" || cmd.verb == "revoke") {
        req["kind"] = cmd.operands.at(0);
        req["principal"] = cmd.operands.at(1);
        if (cmd.verb == "grant") req["access"] = cmd.operands.at(2);
    } else if (cmd.verb == "libvirt-xml") {
        if (cmd.vm) req["vm"] = *cmd.vm;
        if (cmd.readonly) req["readonly"] = true;
    } else if (cmd.verb == "release") {
        req["vm"] = cmd.vm.value_or("");
    } else if (cmd.through_libvirt()) {
        return make_error(cmd.verb + " is not one control request (ctl/libvirt_attach.h runs it)", EINVAL);
    }
    return req;
}

}  // namespace memdomain::ctl
