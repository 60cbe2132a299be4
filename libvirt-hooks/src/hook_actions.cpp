#include "hook_actions.h"

#include <nlohmann/json.hpp>

#include "control/control_protocol.h"
#include "ctl/control_client.h"
#include "memdomain/common/names.h"

namespace memdomain::hook {
namespace {

using nlohmann::json;

json request(const char* verb) { return {{"v", control::kControlProtocolVersion}, {"verb", verb}}; }

Result<ctl::ControlClient> connect(const HookConfig& cfg) {
    const std::string path = cfg.socket_dir + "/" + std::string(kControlSocketName);
    auto c = ctl::ControlClient::connect(path);
    if (!c) return make_error("memdomaind is not running at " + cfg.socket_dir + " (" + c.error().message + ")",
                              c.error().sys);
    return c;
}

}  // namespace

std::string prepare(const std::string& vm, const VmDevices& devices, const HookConfig& cfg) {
    const std::string who = "VM '" + vm + "'";
    if (!devices.problems.empty()) return who + ", domain " + devices.problems.front();
    if (devices.uses.empty()) return "";
    auto md = connect(cfg);
    if (!md) return who + " cannot have domain '" + devices.uses.front().domain + "': " + md.error().message;
    std::vector<std::string> leased;
    for (const auto& use : devices.uses) {
        json req = request("lease");
        req.update({{"name", use.domain},
                    {"vm", vm},
                    {"access", use.access == SegmentAccess::ReadWrite ? "R/W" : "R/O"}});
        if (auto st = md->call_result(req, cfg.timeout); !st) {
            // All or nothing: what this run leased goes back.
            for (const auto& d : leased) {
                json undo = request("release");
                undo.update({{"name", d}, {"vm", vm}});
                (void)md->call_result(undo, cfg.timeout);
            }
            const std::string where = st.error().sys == ENOENT ? " (memdomaind at " + cfg.socket_dir + ")" : "";
            return who + " cannot have domain '" + use.domain + "': " + st.error().message + where;
        }
        leased.push_back(use.domain);
    }
    return "";
}

std::string release(const std::string& vm, const HookConfig& cfg) {
    auto md = connect(cfg);
    if (!md) return "VM '" + vm + "': its leases were not released: " + md.error().message;
    json req = request("release");
    req["vm"] = vm;
    if (auto st = md->call_result(req, cfg.timeout); !st)
        return "VM '" + vm + "': its leases were not released: " + st.error().message;
    return "";
}

}  // namespace memdomain::hook
