// memdomainctl: asks a running memdomaind what it serves, through its
// control socket, and prints the answer as a table (or the raw JSON result).
// Exit codes: 0 ok, 1 other errors, 2 no such domain, 3 server unreachable.
#include <cstdio>

#include "ctl/control_client.h"
#include "ctl/ctl_command_line.h"
#include "ctl/ctl_output.h"
#include "control/control_protocol.h"
#include "memdomain/common/names.h"

using namespace memdomain;

namespace {

constexpr int kExitOk = 0, kExitError = 1, kExitNoDomain = 2, kExitUnreachable = 3;

int run(const ctl::CtlCommand& cmd) {
    const std::string path = cmd.socket_dir + "/" + std::string(kControlSocketName);
    auto client = ctl::ControlClient::connect(path);
    if (!client) {
        std::fprintf(stderr, "memdomainctl: memdomaind is not running or unreachable: %s\n",
                     client.error().message.c_str());
        return kExitUnreachable;
    }
    nlohmann::json req = {{"v", control::kControlProtocolVersion}, {"verb", cmd.verb}};
    if (cmd.name) req["name"] = *cmd.name;
    auto reply = client->call(req);
    if (!reply) {
        std::fprintf(stderr, "memdomainctl: no answer from memdomaind: %s\n", reply.error().message.c_str());
        // A server that hangs up or stays silent is as good as not running.
        return reply.error().sys == EBADMSG ? kExitError : kExitUnreachable;
    }
    if (!(*reply)["ok"].get<bool>()) {
        const auto& err = (*reply)["error"];
        const std::string code = err.value("code", "");
        std::fprintf(stderr, "memdomainctl: %s: %s\n", cmd.verb.c_str(), err.value("message", "(no message)").c_str());
        return code == "ENOENT" ? kExitNoDomain : kExitError;
    }
    const auto& result = (*reply)["result"];
    try {
        const std::string text = cmd.json ? result.dump(2) + "\n" : ctl::render(cmd.verb, result);
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
