// The config model's few functions: how a source location is printed in
// every error message ("FILE:LINE:COL"), and the words of the access kinds.
#include "config/config.h"

namespace memdomain::config {

std::string to_string(const SourceLocation& loc) {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

const char* to_string(AclEntry::Kind kind) {
    switch (kind) {
        case AclEntry::Kind::User: return "user";
        case AclEntry::Kind::Group: return "group";
        case AclEntry::Kind::Vm: return "vm";
    }
    return "?";
}

std::optional<AclEntry::Kind> acl_kind_from(std::string_view word) {
    if (word == "user") return AclEntry::Kind::User;
    if (word == "group") return AclEntry::Kind::Group;
    if (word == "vm") return AclEntry::Kind::Vm;
    return std::nullopt;
}

}  // namespace memdomain::config
