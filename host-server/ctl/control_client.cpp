#include "ctl/control_client.h"

#include <string.h>

#include "control/control_protocol.h"
#include "memdomain/sys/stream.h"
#include "memdomain/sys/socket.h"

namespace memdomain::ctl {

// Replies can be large (show of a domain with a thousand peers), but a
// server never sends more than its own pending limit.
constexpr std::size_t kMaxReplyLine = control::kMaxPendingReply;

Result<ControlClient> ControlClient::connect(const std::string& socket_path) {
    auto s = sys::connect_unix(socket_path);
    if (!s) return std::move(s).error();  // names the path and the reason
    return ControlClient(std::move(s).value(), socket_path);
}

Result<nlohmann::json> ControlClient::call(const nlohmann::json& request, std::chrono::milliseconds timeout,
                                           const Progress& progress) {
    if (auto st = sys::write_all(sock_.get(), control::encode_line(request), timeout); !st)
        return make_error(path_ + ": " + st.error().message, st.error().sys);
    for (;;) {
        auto line = sys::read_line(sock_.get(), pending_, kMaxReplyLine, timeout);
        if (!line) return make_error(path_ + ": " + line.error().message, line.error().sys);
        auto reply = nlohmann::json::parse(*line, nullptr, /*allow_exceptions=*/false);
        if (control::is_progress_line(reply)) {
            const auto& p = reply["progress"];
            if (progress && p.value("done", nlohmann::json()).is_number_unsigned() &&
                p.value("total", nlohmann::json()).is_number_unsigned())
                progress(p["done"].get<std::uint64_t>(), p["total"].get<std::uint64_t>());
            continue;
        }
        if (reply.is_discarded() || !reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean())
            return make_error(path_ + ": the reply is not a control protocol reply: " + line->substr(0, 200), EBADMSG);
        return reply;
    }
}

namespace {

int errno_of(const std::string& code) {
    for (int e = 1; e < 256; ++e)
        if (const char* name = ::strerrorname_np(e); name && code == name) return e;
    return EIO;
}

}  // namespace

Result<nlohmann::json> ControlClient::call_result(const nlohmann::json& request, std::chrono::milliseconds timeout) {
    MD_ASSIGN_OR_RETURN(nlohmann::json reply, call(request, timeout));
    if (reply["ok"].get<bool>()) return reply.value("result", nlohmann::json::object());
    // A server's reply, so every field is checked before it is read.
    auto text = [&reply](const char* key) {
        const auto e = reply.find("error");
        if (e == reply.end() || !e->is_object()) return std::string();
        const auto v = e->find(key);
        return v != e->end() && v->is_string() ? v->get<std::string>() : std::string();
    };
    const std::string code = text("code").empty() ? "EIO" : text("code");
    return make_error(text("message").empty() ? code : text("message"), errno_of(code));
}

}  // namespace memdomain::ctl
