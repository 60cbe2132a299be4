#include "control/control_verbs.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "acl/principals.h"
#include "config/config_parser.h"
#include "config/config_values.h"
#include "control/control_protocol.h"
#include "control/domain_views.h"
#include "control/server_stats.h"

namespace memdomain::control {
namespace {

using nlohmann::json;
using server::DomainRegistry;

enum class ArgType { String, Bool };

// An argument beyond "v", "verb" and "name".
struct Arg {
    std::string_view key;
    ArgType type;
    bool required;
};

// One checked request, as a verb sees it.
struct Request {
    const ControlContext& ctx;
    const json& body;                      // the request object; its arguments have the right types
    std::string name;                      // verbs about one domain: the domain's name
    const server::ServedDomain* domain;    // reading verbs: the domain (never null)
    const AsyncReply& async;
};

struct Verb {
    std::string_view name;
    bool takes_name;
    bool changes;  // root or the admin group only
    std::vector<Arg> args;
    // The reply, or nullopt when it comes later through the request's async.
    std::function<std::optional<json>(const Request&)> run;
};

json error_of(const Error& e) { return error_reply(errno_code(e.sys), e.message); }

// A client's string, quoted for a message: bounded, so a huge made-up name
// cannot make a huge reply.
std::string shown(const std::string& s) {
    constexpr std::size_t kShown = 80;
    return "'" + (s.size() > kShown ? s.substr(0, kShown) + "..." : s) + "'";
}

Result<config::AclEntry::Kind> parse_kind(const json& body) {
    const std::string k = body.at("kind").get<std::string>();
    if (auto kind = config::acl_kind_from(k)) return *kind;
    return make_error("\"kind\" is \"user\", \"group\" or \"vm\", not " + shown(k), EINVAL);
}

Result<SegmentAccess> parse_access(const json& body, const char* key = "access") {
    const std::string a = body.at(key).get<std::string>();
    if (a == "R/W") return SegmentAccess::ReadWrite;
    if (a == "R/O") return SegmentAccess::ReadOnly;
    return make_error("\"access\" is \"R/W\" or \"R/O\", not " + shown(a), EINVAL);
}

// A VM name as a grant may give it (config_values.h: the file's rule).
Result<std::string> vm_name(const json& body, const char* key) {
    const std::string vm = body.at(key).get<std::string>();
    if (auto p = config::values::vm_name_problem(vm)) return make_error("\"" + std::string(key) + "\": " + *p, EINVAL);
    return vm;
}

// The principal of a grant, which must name a user or group of this host
// now (a typo must not become an entry that matches nobody), or a VM (which
// need not be defined yet: libvirt may define it later).
Result<std::string> known_principal(const json& body, config::AclEntry::Kind kind) {
    if (kind == config::AclEntry::Kind::Vm) return vm_name(body, "principal");
    const std::string p = body.at("principal").get<std::string>();
    const char* what = config::to_string(kind);
    if (p.empty()) return make_error(std::string("\"principal\" is empty: name a ") + what + " or give its id", EINVAL);
    const config::SourceLocation here{"request", 0, 0};
    const bool known = kind == config::AclEntry::Kind::User ? bool(server::resolve_user(p, here))
                                                            : bool(server::resolve_group(p, here));
    if (!known) return make_error(std::string("no ") + what + " " + shown(p) + " on this host", EINVAL);
    return p;
}

std::optional<json> run_create(const Request& r) {
    const std::string text = r.body.at("text").get<std::string>();
    auto parsed = config::parse_domain_text(text, "request");
    if (!parsed) return error_reply("EINVAL", parsed.error().message);
    if (!r.async.reply) return error_reply("ENOTSUP", "this caller cannot wait for a create's reply");
    const std::string name = parsed->name;
    DomainRegistry* reg = r.ctx.registry;
    const AsyncReply async = r.async;
    DomainRegistry::Progress progress;
    if (r.body.value("progress", false) && async.progress)
        progress = [async](std::uint64_t done, std::uint64_t total) { async.progress(progress_line(done, total)); };
    const pid_t pid = r.ctx.caller.pid;
    auto done = [reg, name, async, pid](Status st) {
        if (!st) {
            spdlog::warn("control: pid {}: create {} failed: {}", pid, name, st.error().message);
            async.reply(error_of(st.error()));
            return;
        }
        const server::ServedDomain* d = reg->find(name);
        async.reply(d ? ok_reply(show_view(*d))
                      : error_reply("EIO", "domain " + shown(name) + " was gone as soon as it was created"));
    };
    if (auto st = reg->create_domain(std::move(parsed).value(), text, std::move(progress), std::move(done)); !st) {
        // Checks of the text (an unknown user in its access block, ...) are
        // EINVAL here: ENOENT would read as "no such domain".
        if (st.error().sys == 0 || st.error().sys == ENOENT) return error_reply("EINVAL", st.error().message);
        return error_of(st.error());
    }
    return std::nullopt;
}

std::optional<json> run_destroy(const Request& r) {
    auto n = r.ctx.registry->destroy_domain(r.name, r.body.value("force", false));
    if (!n) return error_of(n.error());
    return ok_reply({{"disconnected", *n}});
}

json acl_result(const Request& r, std::size_t disconnected) {
    const server::ServedDomain* d = r.ctx.registry->find(r.name);
    return ok_reply({{"disconnected", disconnected}, {"acl", d ? acl_view(*d) : json(nullptr)}});
}

std::optional<json> run_grant(const Request& r) {
    auto kind = parse_kind(r.body);
    if (!kind) return error_of(kind.error());
    auto access = parse_access(r.body);
    if (!access) return error_of(access.error());
    auto principal = known_principal(r.body, *kind);
    if (!principal) return error_of(principal.error());
    // A lease: the VM's grant for one run (memdomainctl attach), which
    // `release` takes back; no permission needed, the caller administers.
    if (r.body.value("lease", false)) {
        if (*kind != config::AclEntry::Kind::Vm || *principal == config::kAnyVm)
            return error_reply("EINVAL", "\"lease\" is for one named VM (kind \"vm\", not '*')");
        auto n = r.ctx.registry->lease(r.name, *principal, *access, /*check=*/false);
        if (!n) return error_of(n.error());
        return acl_result(r, *n);
    }
    config::AclEntry e;
    e.kind = *kind;
    e.principal = *principal;
    e.access = *access;
    e.where = config::SourceLocation{"request", 0, 0};
    auto n = r.ctx.registry->grant(r.name, e);
    if (!n) return error_of(n.error());
    return acl_result(r, *n);
}

// The libvirt hook's grant: a lease the access block must permit.
std::optional<json> run_lease(const Request& r) {
    auto vm = vm_name(r.body, "vm");
    if (!vm) return error_of(vm.error());
    if (*vm == config::kAnyVm) return error_reply("EINVAL", "\"vm\": a lease is for one named VM, not '*'");
    auto access = parse_access(r.body);
    if (!access) return error_of(access.error());
    auto n = r.ctx.registry->lease(r.name, *vm, *access, /*check=*/true);
    if (!n) return error_of(n.error());
    return acl_result(r, *n);
}

std::optional<json> run_release(const Request& r) {
    auto vm = vm_name(r.body, "vm");
    if (!vm) return error_of(vm.error());
    std::optional<std::string> name;
    if (r.body.contains("name")) {
        name = r.body.at("name").get<std::string>();
        if (!r.ctx.registry->find(*name)) return error_reply("ENOENT", "no domain " + shown(*name));
    }
    json released = json::array();
    std::size_t disconnected = 0;
    for (const auto& l : r.ctx.registry->release(*vm, name)) {
        released.push_back(l.domain);
        disconnected += l.disconnected;
    }
    return ok_reply({{"released", released}, {"disconnected", disconnected}});
}

std::optional<json> run_libvirt_xml(const Request& r) {
    std::optional<std::string> vm;
    if (r.body.contains("vm")) {
        auto v = vm_name(r.body, "vm");
        if (!v) return error_of(v.error());
        vm = *v;
    }
    auto view = libvirt_xml_view(*r.domain, vm, r.body.value("readonly", false));
    if (!view) return error_of(view.error());
    return ok_reply(*view);
}

std::optional<json> run_revoke(const Request& r) {
    auto kind = parse_kind(r.body);
    if (!kind) return error_of(kind.error());
    auto n = r.ctx.registry->revoke(r.name, *kind, r.body.at("principal").get<std::string>());
    if (!n) return error_of(n.error());
    return acl_result(r, *n);
}

const std::vector<Verb>& verbs() {
    using T = ArgType;
    static const std::vector<Verb> v = {
        {"list", false, false, {}, [](const Request& r) { return ok_reply(list_view(*r.ctx.registry)); }},
        {"show", true, false, {}, [](const Request& r) { return ok_reply(show_view(*r.domain)); }},
        {"stats", false, false, {}, [](const Request& r) { return ok_reply(stats_view(r.ctx)); }},
        {"qemu-args", true, false, {}, [](const Request& r) { return ok_reply(qemu_args_view(*r.domain)); }},
        {"libvirt-xml", true, false, {{"vm", T::String, false}, {"readonly", T::Bool, false}}, run_libvirt_xml},
        {"create", false, true, {{"text", T::String, true}, {"progress", T::Bool, false}}, run_create},
        {"destroy", true, true, {{"force", T::Bool, false}}, run_destroy},
        {"grant", true, true,
         {{"kind", T::String, true}, {"principal", T::String, true}, {"access", T::String, true},
          {"lease", T::Bool, false}},
         run_grant},
        {"revoke", true, true, {{"kind", T::String, true}, {"principal", T::String, true}}, run_revoke},
        {"lease", true, true, {{"vm", T::String, true}, {"access", T::String, true}}, run_lease},
        {"release", false, true, {{"vm", T::String, true}, {"name", T::String, false}}, run_release},
    };
    return v;
}

// Unknown keys, missing or mistyped arguments; nullopt when the request fits.
std::optional<json> check_arguments(const Verb& verb, const json& req) {
    const std::string vn(verb.name);
    for (const auto& item : req.items()) {
        const std::string& key = item.key();
        const json& value = item.value();
        if (key == "v" || key == "verb" || (key == "name" && verb.takes_name)) continue;
        const auto it = std::find_if(verb.args.begin(), verb.args.end(), [&](const Arg& a) { return a.key == key; });
        if (it == verb.args.end()) return error_reply("EINVAL", "verb " + vn + " takes no argument " + shown(key));
        const bool fits = it->type == ArgType::String ? value.is_string() : value.is_boolean();
        if (!fits)
            return error_reply("EINVAL", "verb " + vn + ": \"" + key + "\" must be a " +
                                             (it->type == ArgType::String ? "string" : "boolean (true or false)"));
    }
    for (const auto& a : verb.args)
        if (a.required && !req.contains(a.key))
            return error_reply("EINVAL", "verb " + vn + " needs \"" + std::string(a.key) + "\"");
    if (verb.takes_name) {
        auto n = req.find("name");
        if (n == req.end() || !n->is_string())
            return error_reply("EINVAL", "verb " + vn + " needs \"name\": a domain name (a string)");
    }
    return std::nullopt;
}

std::string permission_message(const Verb& verb, const ControlContext& ctx) {
    const auto& group = ctx.registry->server_config().admin_group;
    return std::string(verb.name) + " needs root or admin group membership (" +
           (group ? "admin_group = " + *group : std::string("no admin_group in the config's server block")) +
           "); uid " + std::to_string(ctx.caller.uid) + " is neither";
}

std::optional<json> handle_request(const json& req, const ControlContext& ctx, const AsyncReply& async) {
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
    if (!verb) return error_reply("EINVAL", "unknown verb " + shown(verb_name) + "; verbs: " + verb_list());
    if (auto bad = check_arguments(*verb, req)) return bad;
    if (verb->changes && !ctx.registry->may_administer(ctx.caller, ctx.caller_groups))
        return error_reply("EPERM", permission_message(*verb, ctx));
    Request r{ctx, req, "", nullptr, async};
    if (verb->takes_name) {
        r.name = req.at("name").get<std::string>();
        r.domain = ctx.registry->find(r.name);
        // A domain still being created exists for the changing verbs (the
        // registry says EBUSY), for nothing else.
        if (!r.domain && !(verb->changes && ctx.registry->pending(r.name)))
            return error_reply("ENOENT", "no domain " + shown(r.name));
    }
    return verb->run(r);
}

// The changing verbs leave a trace with who asked.
void audit(const ControlContext& ctx, const json& req, const std::optional<json>& reply) {
    auto text = [&](const char* key) {
        auto it = req.find(key);
        return it != req.end() && it->is_string() ? shown(it->get<std::string>()) : std::string("?");
    };
    const std::string verb = req.at("verb").get<std::string>();
    std::string what = verb;
    if (req.contains("name")) what += " " + text("name");
    if (verb == "grant" || verb == "revoke") what += " " + text("kind") + " " + text("principal");
    if (req.contains("vm")) what += " vm " + text("vm");
    const std::string outcome =
        !reply ? "started" : reply->at("ok").get<bool>() ? "ok" : reply->at("error").value("message", "failed");
    spdlog::info("control: pid {} uid {}: {}: {}", ctx.caller.pid, ctx.caller.uid, what, outcome);
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

bool is_changing_verb(std::string_view verb) {
    for (const auto& v : verbs())
        if (v.name == verb) return v.changes;
    return false;
}

std::optional<json> handle_request_line(std::string_view line, const ControlContext& ctx, const AsyncReply& async) {
    // The parser's only failure mode is a parse error: ask it for a
    // discarded value instead of an exception.
    json req = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (req.is_discarded()) return error_reply("EBADMSG", "the request line is not valid JSON");
    auto reply = handle_request(req, ctx, async);
    if (req.is_object() && req.contains("verb") && req["verb"].is_string() &&
        is_changing_verb(req["verb"].get<std::string>()))
        audit(ctx, req, reply);
    return reply;
}

}  // namespace memdomain::control
