#include "hook_config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace memdomain::hook {
namespace {

std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t\r");
    if (a == std::string::npos) return "";
    const auto b = s.find_last_not_of(" \t\r");
    return s.substr(a, b - a + 1);
}

// "5s", "500ms" -> milliseconds; nullopt for anything else.
std::optional<std::chrono::milliseconds> duration(const std::string& v) {
    unsigned long n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end == v.data()) return std::nullopt;
    const std::string unit(end, v.data() + v.size());
    if (unit == "ms") return std::chrono::milliseconds(n);
    if (unit == "s" && n <= 3600) return std::chrono::milliseconds(n * 1000);
    return std::nullopt;
}

}  // namespace

Result<HookConfig> parse_hook_config(const std::string& text, const std::string& name) {
    HookConfig cfg;
    std::istringstream in(text);
    std::set<std::string> seen;
    std::size_t lineno = 0;
    for (std::string line; std::getline(in, line);) {
        ++lineno;
        const std::string where = name + ":" + std::to_string(lineno) + ": ";
        if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        line = trim(line);
        if (line.empty()) continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) return make_error(where + "expected 'key = value'", EINVAL);
        const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
        if (!seen.insert(key).second) return make_error(where + "'" + key + "' is set twice", EINVAL);
        if (key == "socket_dir") {
            if (value.empty() || value.front() != '/')
                return make_error(where + "socket_dir must be an absolute directory, not '" + value + "'", EINVAL);
            cfg.socket_dir = value;
            while (cfg.socket_dir.size() > 1 && cfg.socket_dir.back() == '/') cfg.socket_dir.pop_back();
        } else if (key == "timeout") {
            auto t = duration(value);
            if (!t || *t < std::chrono::milliseconds(100) || *t > std::chrono::seconds(60))
                return make_error(where + "timeout is a duration from 100ms to 60s such as 5s, not '" + value + "'",
                                  EINVAL);
            cfg.timeout = *t;
        } else {
            return make_error(where + "unknown key '" + key + "' (keys: socket_dir, timeout)", EINVAL);
        }
    }
    return cfg;
}

Result<HookConfig> load_hook_config(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        if (errno == ENOENT) return HookConfig{};
        return make_error("cannot read " + path + ": " + std::strerror(errno), errno ? errno : EIO);
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parse_hook_config(text.str(), path);
}

}  // namespace memdomain::hook
