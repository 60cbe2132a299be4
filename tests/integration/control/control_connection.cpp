#include "control_connection.h"

#include <poll.h>
#include <sys/socket.h>

#include "control/control_protocol.h"
#include "memdomain/sys/stream.h"
#include "memdomain/common/names.h"
#include "memdomain/sys/socket.h"

namespace memdomain::test {

Result<ControlConnection> ControlConnection::connect(const std::string& socket_dir) {
    MD_ASSIGN_OR_RETURN(auto s, sys::connect_unix(socket_dir + "/" + std::string(kControlSocketName)));
    return ControlConnection(std::move(s));
}

Status ControlConnection::send_raw(const std::string& bytes) {
    return sys::write_all(sock_.get(), bytes, std::chrono::seconds(5));
}

Result<nlohmann::json> ControlConnection::read_reply(std::chrono::milliseconds timeout) {
    MD_ASSIGN_OR_RETURN(std::string line, sys::read_line(sock_.get(), pending_, 4 << 20, timeout));
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) return make_error("reply is not JSON: " + line.substr(0, 200), EBADMSG);
    return j;
}

Result<nlohmann::json> ControlConnection::call_json(const nlohmann::json& request) {
    MD_TRY(send_raw(control::encode_line(request)));
    return read_reply();
}

Result<nlohmann::json> ControlConnection::call(const std::string& verb, const std::string& name) {
    nlohmann::json req = {{"v", 1}, {"verb", verb}};
    if (!name.empty()) req["name"] = name;
    return call_json(req);
}

bool ControlConnection::wait_closed(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{sock_.get(), POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[65536];
        ssize_t n = ::recv(sock_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    }
    return false;
}

}  // namespace memdomain::test
