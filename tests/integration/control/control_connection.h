// A test's connection to a real memdomaind's control.sock: send raw lines
// (garbage included), read reply lines, see the server hang up.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::test {

class ControlConnection {
public:
    static Result<ControlConnection> connect(const std::string& socket_dir);

    Status send_raw(const std::string& bytes);
    // The next reply line, parsed (a parse failure is an EBADMSG error).
    Result<nlohmann::json> read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // send_raw(request line) + read_reply.
    Result<nlohmann::json> call_json(const nlohmann::json& request);
    // {"v":1,"verb":verb[,"name":name]} and its reply.
    Result<nlohmann::json> call(const std::string& verb, const std::string& name = "");
    // True once the server has closed the connection (EOF or reset), reading
    // and discarding whatever replies come first; false after `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    int fd() const { return sock_.get(); }
    void close() { sock_.reset(); }

private:
    explicit ControlConnection(sys::UniqueFd s) : sock_(std::move(s)) {}
    sys::UniqueFd sock_;
    std::string pending_;
};

}  // namespace memdomain::test
