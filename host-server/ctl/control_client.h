// A client of memdomaind's control socket (host-server/control/control_protocol.h):
// connect, send one request line, read its reply line (and, for a create
// that asked, the progress lines before it). Blocking, with a timeout,
// because memdomainctl asks one question and exits.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "memdomain/common/result.h"
#include "memdomain/sys/fd.h"

namespace memdomain::ctl {

class ControlClient {
public:
    // Connects to `socket_path`. The error names the path and says whether
    // nothing is there (ENOENT), nobody listens (ECONNREFUSED) or we may not
    // connect (EACCES).
    static Result<ControlClient> connect(const std::string& socket_path);

    using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

    // Sends `request` and returns the reply object (ok or not); progress
    // lines before it go to `progress` (or are skipped). `timeout` bounds
    // each wait for a line. Errors are transport failures: ETIMEDOUT,
    // ECONNRESET, EBADMSG for a line that is not a protocol reply.
    Result<nlohmann::json> call(const nlohmann::json& request,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10),
                                const Progress& progress = {});

    // call() for a request whose reply the caller only needs on success: the
    // result object, or an Error carrying the server's message and the
    // errno its code names (EIO for a code this host does not know).
    Result<nlohmann::json> call_result(const nlohmann::json& request,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    explicit ControlClient(sys::UniqueFd sock, std::string path) : sock_(std::move(sock)), path_(std::move(path)) {}
    sys::UniqueFd sock_;
    std::string path_;
    std::string pending_;  // bytes read past the last reply
};

}  // namespace memdomain::ctl
