#include "control/control_verbs.h"

#include <array>
#include <functional>
#include <optional>

#include "control/control_protocol.h"
#include "control/domain_views.h"
#include "control/server_stats.h"

namespace memdomain::control {
namespace {

using nlohmann::json;

struct Verb {
    std::string_view name;
    bool takes_name;
    // The result, or an error reply.
    std::function<json(const ControlContext&, const server::DomainRegistry::DomainEntry*)> run;
};

const std::array<Verb, 5>& verbs() {
    static const std::array<Verb, 5> v = {{
        {"list", false, [](const ControlContext& c, auto*) { return ok_reply(list_view(*c.registry)); }},
        {"show", true, [](const ControlContext&, auto* d) { return ok_reply(show_view(*d)); }},
        {"stats", false, [](const ControlContext& c, auto*) { return ok_reply(stats_view(c)); }},
        {"qemu-args", true, [](const ControlContext&, auto* d) { return ok_reply(qemu_args_view(*d)); }},
        {"libvirt-xml", true, [](const ControlContext&, auto* d) { return ok_reply(libvirt_xml_view(*d)); }},
    }};
    return v;
}

const server::DomainRegistry::DomainEntry* find_domain(const server::DomainRegistry& reg, const std::string& name) {
    for (const auto& d : reg.domains())
        if (d->config.name == name) return d.get();
    return nullptr;
}

// A client's string, quoted for a message: bounded, so a huge made-up name
// cannot make a huge reply.
std::string quoted(const std::string& s) {
    constexpr std::size_t kShown = 80;
    return "'" + (s.size() > kShown ? s.substr(0, kShown) + "..." : s) + "'";
}

json handle_request(const json& req, const ControlContext& ctx) {
    if (!req.is_object()) return error_reply("EBADMSG", "a request is one JSON object per line");
    auto v = req.find("v");
    if (v == req.end()) return error_reply("EINVAL", "missing \"v\": the protocol version (1)");
    if (!v->is_number_integer() || v->get<long long>() != kControlProtocolVersion)
        return error_reply("EPROTONOSUPPORT", "unsupported protocol version " + v->dump() + "; this server speaks " +
                                                  std::to_string(kControlProtocolVersion));
    auto vb = req.find("verb");
    if (vb == req.end() || !vb->is_string())
        return error_reply("EINVAL", "missing \"verb\" (a string); verbs: " + verb_list());
    const std::string verb_name = vb->get<std::string>();
    const Verb* verb = nullptr;
    for (const auto& cand : verbs())
        if (cand.name == verb_name) verb = &cand;
    if (!verb) return error_reply("EINVAL", "unknown verb " + quoted(verb_name) + "; verbs: " + verb_list());
    for (const auto& [key, value] : req.items()) {
        if (key == "v" || key == "verb" || (key == "name" && verb->takes_name)) continue;
        return error_reply("EINVAL", "verb " + verb_name + " takes no argument " + quoted(key));
    }
    const server::DomainRegistry::DomainEntry* domain = nullptr;
    if (verb->takes_name) {
        auto n = req.find("name");
        if (n == req.end() || !n->is_string())
            return error_reply("EINVAL", "verb " + verb_name + " needs \"name\": a domain name (a string)");
        const std::string name = n->get<std::string>();
        domain = find_domain(*ctx.registry, name);
        if (!domain) return error_reply("ENOENT", "no domain " + quoted(name));
    }
    return verb->run(ctx, domain);
}

}  // namespace

std::string verb_list() {
    std::string out;
    for (const auto& v : verbs()) {
        if (!out.empty()) out += ", ";
        out += v.name;
    }
    return out;
}

json handle_request_line(std::string_view line, const ControlContext& ctx) {
    // The parser's only failure mode is a parse error: ask it for a
    // discarded value instead of an exception.
    json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (req.is_discarded()) return error_reply("EBADMSG", "the request line is not valid JSON");
    return handle_request(req, ctx);
}

}  // namespace memdomain::control
