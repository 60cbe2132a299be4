#include "memdomain/common/result.h"

#include <cstring>
#include <string>

namespace memdomain {

Error sys_error(std::string_view what, int err) {
    std::string msg(what);
    msg += ": ";
    msg += std::strerror(err);
    return Error{err, std::move(msg)};
}

Error make_error(std::string message, int sys) { return Error{sys, std::move(message)}; }

}  // namespace memdomain
