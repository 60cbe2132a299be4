#include "ctl/ctl_command_line.h"

#include <array>
#include <sstream>
#include <vector>

#include <boost/program_options.hpp>

#include "memdomain/common/names.h"

namespace po = boost::program_options;

namespace memdomain::ctl {
namespace {

struct VerbHelp {
    const char* name;
    bool takes_name;
    const char* summary;
    const char* details;
};

constexpr std::array<VerbHelp, 5> kVerbs = {{
    {"list", false, "the domains: type, policy, segments, size, peers attached",
     "One line per domain: name, type, policy, number of segments, total size\n"
     "and the peers attached (summed over the domain's segments).\n"},
    {"show", true, "one domain: segments, sockets, peers, access rules",
     "Vectors, max peers and the access rules (explicit, or the default: root\n"
     "and the server's user), then per segment: page size, size, access,\n"
     "socket, namespace entry, generation, and every attached peer with its\n"
     "id, pid, uid, gid, access and messages queued in the server.\n"},
    {"stats", false, "the server: pid, uptime, domains, peers, fds, hugepage pools",
     "The server's pid and uptime, its domains and attached peers, its open\n"
     "file descriptors, connected control clients, and the host's hugepage\n"
     "pools (total/free/reserved pages per size).\n"},
    {"qemu-args", true, "the QEMU arguments that attach a VM to the domain",
     "The arguments for segment 0, as in qemu-config/README.md: read-write with\n"
     "doorbells (-chardev socket + -device ivshmem-doorbell; not offered for a\n"
     "R/O segment) and read-only (-object memory-backend-file,readonly=on on the\n"
     "namespace entry + -device ivshmem-plain). --json gives them as arrays.\n"},
    {"libvirt-xml", true, "the libvirt <shmem> element for the domain",
     "The <shmem> element that attaches a libvirt VM to segment 0 through\n"
     "ivshmem-doorbell, with the domain's socket, size and vectors.\n"},
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
    return std::string("memdomainctl [--socket-dir DIR] [--json] ") + h.name + (h.takes_name ? " NAME" : "");
}

std::string overall_help(const po::options_description& opts) {
    std::ostringstream o;
    o << "memdomainctl: read what a running memdomaind serves, through <socket dir>/control.sock.\n\n"
         "Usage: memdomainctl [--socket-dir DIR] [--json] VERB [NAME]\n"
         "       memdomainctl VERB --help\n\n"
         "Verbs:\n";
    for (const auto& h : kVerbs) {
        std::string left = std::string(h.name) + (h.takes_name ? " NAME" : "");
        left.resize(18, ' ');
        o << "  " << left << h.summary << "\n";
    }
    o << "\n" << opts
      << "\nExit codes: 0 ok, 1 error (usage, protocol), 2 no such domain,\n"
         "3 server not running or unreachable.\n";
    return o.str();
}

}  // namespace

Result<CtlParsed> parse_ctl_command_line(int argc, const char* const* argv) {
    po::options_description opts("Options");
    opts.add_options()("help,h", "this help; after a verb, that verb's help")(
        "socket-dir", po::value<std::string>(),
        "memdomaind's socket directory (default: $MEMDOMAIN_SOCKET_DIR, else /run/memdomain)")(
        "json", "print the server's raw result as JSON instead of a table");
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
        out.print = "Usage: " + usage(*h) + "\n\n" + h->summary + ".\n\n" + h->details + "\n" +
                    "--json prints the server's result object as it came.\n";
        return out;
    }
    const auto args = vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{};
    CtlCommand cmd;
    cmd.verb = verb;
    cmd.json = vm.count("json") > 0;
    cmd.socket_dir = resolve_socket_dir(vm.count("socket-dir") ? vm["socket-dir"].as<std::string>() : "");
    if (h->takes_name) {
        if (args.empty()) return make_error(verb + " needs a domain name; usage: " + usage(*h), EINVAL);
        if (args.size() > 1) return make_error(verb + " takes one domain name; usage: " + usage(*h), EINVAL);
        cmd.name = args.front();
    } else if (!args.empty()) {
        return make_error(verb + " takes no argument ('" + args.front() + "' given); usage: " + usage(*h), EINVAL);
    }
    out.run = std::move(cmd);
    return out;
}

}  // namespace memdomain::ctl
