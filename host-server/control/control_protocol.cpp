#include "control/control_protocol.h"

#include <string.h>

#include <algorithm>
#include <iterator>

namespace memdomain::control {

nlohmann::json ok_reply(nlohmann::json result) {
    return {{"v", kControlProtocolVersion}, {"ok", true}, {"result", std::move(result)}};
}

nlohmann::json error_reply(std::string_view code, std::string message) {
    return {{"v", kControlProtocolVersion},
            {"ok", false},
            {"error", {{"code", std::string(code)}, {"message", std::move(message)}}}};
}

nlohmann::json progress_line(std::uint64_t done, std::uint64_t total) {
    return {{"v", kControlProtocolVersion}, {"progress", {{"done", done}, {"total", total}}}};
}

bool is_progress_line(const nlohmann::json& message) {
    return message.is_object() && !message.contains("ok") && message.contains("progress") &&
           message["progress"].is_object();
}

std::string errno_code(int err) {
    const char* name = err > 0 ? ::strerrorname_np(err) : nullptr;
    return name != nullptr ? name : "EIO";
}

namespace {
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
}  // namespace

std::string encode_line(const nlohmann::json& message) {
    if (!message.is_object()) return dump(message) + "\n";
    // nlohmann sorts keys; the envelope goes out in the documented order
    // ("v" first) so a person reading the socket sees the version at once.
    static constexpr const char* kFirst[] = {"v", "ok", "verb", "name", "result", "error", "progress"};
    std::string out;
    auto add = [&](const std::string& key, const nlohmann::json& value) {
        out += (out.empty() ? "{" : ",") + dump(key) + ":" + dump(value);
    };
    for (const char* key : kFirst)
        if (auto it = message.find(key); it != message.end()) add(key, *it);
    for (const auto& [key, value] : message.items())
        if (std::find(std::begin(kFirst), std::end(kFirst), key) == std::end(kFirst)) add(key, value);
    return (out.empty() ? "{" : out) + "}\n";
}

}  // namespace memdomain::control
