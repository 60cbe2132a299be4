// memdomainctl: asks a running memdomaind what it serves, or changes it,
// through its control socket, and prints the answer as a table (or the raw
// JSON result). A create on a terminal draws a progress bar on stderr.
// Exit codes (memdomainctl --help says the same):
//   0 ok, 1 other errors, 2 no such domain (ENOENT), 3 server unreachable,
//   4 not allowed (EPERM, or EACCES on control.sock), 5 busy (EBUSY),
//   6 the name is taken (EEXIST).
#include <unistd.h>

#include <cstdio>

#include "ctl/control_client.h"
#include "ctl/ctl_command_line.h"
#include "ctl/ctl_output.h"
#include "ctl/libvirt_attach.h"
#include "control/control_protocol.h"
#include "memdomain/common/names.h"

using namespace memdomain;
using namespace std::chrono_literals;

namespace {

constexpr int kExitOk = 0, kExitError = 1, kExitNoDomain = 2, kExitUnreachable = 3, kExitNotAllowed = 4,
              kExitBusy = 5, kExitExists = 6;

int exit_code_for(const std::string& code) {
    if (code == "ENOENT") return kExitNoDomain;
    if (code == "EPERM" || code == "EACCES") return kExitNotAllowed;
    if (code == "EBUSY") return kExitBusy;
    if (code == "EEXIST") return kExitExists;
    return kExitError;
}

// The one-line bar on stderr, redrawn in place and wiped at the end.
class ProgressLine {
public:
    void draw(std::uint64_t done, std::uint64_t total) {
        std::string bar = ctl::progress_bar(done, total);
        width_ = std::max(width_, bar.size());
        bar.resize(width_, ' ');  // over a longer line drawn before
        if (bar == last_) return;
        std::fprintf(stderr, "\r%s", bar.c_str());
        std::fflush(stderr);
        last_ = std::move(bar);
    }
    ~ProgressLine() {
        if (width_ == 0) return;
        std::fprintf(stderr, "\r%s\r", std::string(width_, ' ').c_str());
        std::fflush(stderr);
    }

private:
    std::size_t width_ = 0;
    std::string last_;
};

int exit_code_for(int err) {
    switch (err) {
        case ENOENT: return kExitNoDomain;
        case EPERM:
        case EACCES: return kExitNotAllowed;
        case EBUSY: return kExitBusy;
        case EEXIST: return kExitExists;
        case EHOSTUNREACH:
        case ECONNREFUSED:
        case ETIMEDOUT: return kExitUnreachable;
        default: return kExitError;
    }
}

Result<ctl::ControlClient> connect_server(const ctl::CtlCommand& cmd) {
    const std::string path = cmd.socket_dir + "/" + std::string(kControlSocketName);
    auto client = ctl::ControlClient::connect(path);
    if (!client) {
        const bool denied = client.error().sys == EACCES;
        return make_error(std::string(denied ? "not allowed to talk to memdomaind: "
                                             : "memdomaind is not running or unreachable: ") +
                              client.error().message,
                          denied ? EACCES : EHOSTUNREACH);
    }
    return client;
}

// attach and detach: control requests and libvirt calls of their own.
int run_libvirt(const ctl::CtlCommand& cmd) {
    auto client = connect_server(cmd);
    if (!client) {
        std::fprintf(stderr, "memdomainctl: %s\n", client.error().message.c_str());
        return exit_code_for(client.error().sys);
    }
    const ctl::VmAttach a{cmd.vm.value_or(""), cmd.name.value_or(""), cmd.connect.value_or(""), cmd.persistent,
                          cmd.readonly};
    auto done = cmd.verb == "attach" ? ctl::attach_to_vm(*client, a) : ctl::detach_from_vm(*client, a);
    if (!done) {
        std::fprintf(stderr, "memdomainctl: %s: %s\n", cmd.verb.c_str(), done.error().message.c_str());
        return exit_code_for(done.error().sys);
    }
    std::printf("%s\n", done->c_str());
    return kExitOk;
}

int run(const ctl::CtlCommand& cmd) {
    if (cmd.through_libvirt()) return run_libvirt(cmd);
    // Progress only when it can be drawn: --json and pipes get the reply alone.
    const bool draw = cmd.verb == "create" && !cmd.json && ::isatty(STDERR_FILENO) == 1;
    auto req = ctl::build_request(cmd, draw);
    if (!req) {
        std::fprintf(stderr, "memdomainctl: %s: %s\n", cmd.verb.c_str(), req.error().message.c_str());
        return kExitError;
    }
    auto client = connect_server(cmd);
    if (!client) {
        std::fprintf(stderr, "memdomainctl: %s\n", client.error().message.c_str());
        return exit_code_for(client.error().sys);
    }
    // A create prefaults its memory before it answers: without progress
    // lines to show it is alive, the server may stay silent for a while.
    const auto timeout = cmd.verb == "create" ? std::chrono::milliseconds(10min) : std::chrono::milliseconds(10s);
    Result<nlohmann::json> reply = make_error("not asked", EINVAL);
    {
        ProgressLine bar;
        ctl::ControlClient::Progress on_progress;
        if (draw) on_progress = [&bar](std::uint64_t done, std::uint64_t total) { bar.draw(done, total); };
        reply = client->call(*req, timeout, on_progress);
    }
    if (!reply) {
        std::fprintf(stderr, "memdomainctl: no answer from memdomaind: %s\n", reply.error().message.c_str());
        // A server that hangs up or stays silent is as good as not running.
        return reply.error().sys == EBADMSG ? kExitError : kExitUnreachable;
    }
    if (!(*reply)["ok"].get<bool>()) {
        const auto& err = (*reply)["error"];
        std::fprintf(stderr, "memdomainctl: %s: %s\n", cmd.verb.c_str(), err.value("message", "(no message)").c_str());
        return exit_code_for(err.value("code", ""));
    }
    const auto& result = (*reply)["result"];
    try {
        const std::string text = cmd.json ? result.dump(2) + "\n" : ctl::render(*req, result);
        std::fputs(text.c_str(), stdout);
    } catch (const nlohmann::json::exception& e) {
        std::fprintf(stderr, "memdomainctl: %s: unexpected result from the server (%s); try --json\n",
                     cmd.verb.c_str(), e.what());
        return kExitError;
    }
    return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    auto cl = ctl::parse_ctl_command_line(argc, argv);
    if (!cl) {
        std::fprintf(stderr, "memdomainctl: %s\n", cl.error().message.c_str());
        return kExitError;
    }
    if (!cl->run) {
        std::fputs(cl->print.c_str(), stdout);
        return kExitOk;
    }
    return run(*cl->run);
}
