// What the socket directory offers, without connecting to anything: every
// "<name>.sock" (segment 0) and "<name>@<i>.sock" (segment i) whose name is
// a valid domain name. control.sock and other files are skipped.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <optional>
#include <string>

#include "memdomain/common/names.h"
#include "transport.h"

namespace memdomain::detail {
namespace {

// "Name.sock" -> {Name, 0}; "Name@3.sock" -> {Name, 3}; else nullopt.
std::optional<DomainListing> parse_socket_name(const std::string& file) {
    constexpr std::string_view suffix = ".sock";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
        return std::nullopt;
    if (file == kControlSocketName) return std::nullopt;
    std::string stem = file.substr(0, file.size() - suffix.size());
    DomainListing l;
    if (auto at = stem.find('@'); at != std::string::npos) {
        const std::string idx = stem.substr(at + 1);
        auto [p, ec] = std::from_chars(idx.data(), idx.data() + idx.size(), l.segment);
        if (idx.empty() || ec != std::errc() || p != idx.data() + idx.size() || l.segment == 0) return std::nullopt;
        stem.resize(at);
    }
    if (!validate_domain_name(stem)) return std::nullopt;
    l.name = std::move(stem);
    l.transport = TransportKind::Socket;
    return l;
}

}  // namespace

Result<std::vector<DomainListing>> list_socket_domains(const OpenOptions& o) {
    namespace fs = std::filesystem;
    const std::string dir = resolve_socket_dir(o.socket_dir);
    std::vector<DomainListing> out;
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
        if (ec.value() == ENOENT || ec.value() == ENOTDIR) return out;  // no server here: nothing offered
        return make_error("list " + dir + ": " + ec.message(), ec.value());
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) return make_error("list " + dir + ": " + ec.message(), ec.value());
        std::error_code sec;
        if (!it->is_socket(sec)) continue;
        auto l = parse_socket_name(it->path().filename().string());
        if (!l) continue;
        l->location = it->path().string();
        out.push_back(std::move(*l));
    }
    std::sort(out.begin(), out.end(), [](const DomainListing& a, const DomainListing& b) {
        return a.name != b.name ? a.name < b.name : a.segment < b.segment;
    });
    return out;
}

}  // namespace memdomain::detail
