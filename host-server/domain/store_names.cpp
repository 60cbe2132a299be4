#include "domain/store_names.h"

#include <fmt/format.h>

#include "memdomain/common/names.h"

namespace memdomain::server {

std::string format_store_name(std::uint64_t generation, std::uint32_t index, const std::string& domain) {
    return fmt::format("md.{:016x}.{}.{}", generation, index, domain);
}

std::optional<StoreName> parse_store_name(const std::string& n) {
    if (n.size() < 3 + 16 + 1 + 1 + 1 + 1 || n.compare(0, 3, "md.") != 0 || n[19] != '.') return std::nullopt;
    StoreName out;
    const std::string hex = n.substr(3, 16);
    if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    out.generation = std::stoull(hex, nullptr, 16);
    const std::size_t dot = n.find('.', 20);
    if (dot == std::string::npos || dot == 20 || dot - 20 > 2) return std::nullopt;
    const std::string idx = n.substr(20, dot - 20);
    if (idx.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    out.index = static_cast<std::uint32_t>(std::stoul(idx));
    out.domain = n.substr(dot + 1);
    if (!validate_domain_name(out.domain)) return std::nullopt;
    return out;
}


std::string format_state_name(std::uint64_t sequence) { return fmt::format("md.state.{:016x}", sequence); }

std::optional<std::uint64_t> parse_state_name(const std::string& name) {
    if (name == kLegacyStateName) return 0;
    const std::string prefix = "md.state.";
    if (name.size() != prefix.size() + 16 || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const std::string hex = name.substr(prefix.size());
    if (hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    return std::stoull(hex, nullptr, 16);
}

}  // namespace memdomain::server
