#include "memdomain/common/names.h"

#include <cstdlib>
#include <string>

namespace memdomain {

Status validate_domain_name(std::string_view name) {
    if (name.empty()) return make_error("domain name is empty");
    if (name.size() > kMaxDomainNameLength)
        return make_error("domain name '" + std::string(name.substr(0, 80)) + "' is longer than " +
                          std::to_string(kMaxDomainNameLength) + " characters");
    for (char c : name) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok) {
            std::string shown = (c >= 0x20 && c < 0x7f) ? std::string(1, c) : "\\x" + std::to_string(
                                                                                         static_cast<unsigned char>(c));
            return make_error("domain name '" + std::string(name) + "' contains '" + shown +
                              "' (allowed: A-Z a-z 0-9 _ . -)");
        }
    }
    if (name == "." || name == "..") return make_error("domain name '" + std::string(name) + "' is reserved");
    if (name == "control") return make_error("domain name 'control' is reserved for the control socket");
    return {};
}

std::string domain_socket_path(std::string_view dir, std::string_view name, unsigned segment) {
    std::string p(dir);
    if (p.empty() || p.back() != '/') p += '/';
    p += name;
    if (segment != 0) {
        p += '@';
        p += std::to_string(segment);
    }
    p += ".sock";
    return p;
}

std::string domain_namespace_path(std::string_view dir, std::string_view name, unsigned segment) {
    std::string p(dir);
    if (p.empty() || p.back() != '/') p += '/';
    p += "ns/";
    p += name;
    if (segment != 0) {
        p += '@';
        p += std::to_string(segment);
    }
    return p;
}

std::string resolve_socket_dir(std::string_view explicit_dir) {
    if (!explicit_dir.empty()) return std::string(explicit_dir);
    if (const char* env = std::getenv("MEMDOMAIN_SOCKET_DIR"); env && *env) return env;
    return std::string(kDefaultSocketDir);
}

}  // namespace memdomain
