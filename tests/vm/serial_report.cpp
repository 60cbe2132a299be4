// Parses the guest's serial console output; see serial_report.h.
#include "serial_report.h"

#include <sstream>

namespace memdomain::test {

namespace {

// The text after `marker` in `line`, trailing CR/space removed, or nullopt.
std::optional<std::string> after(const std::string& line, const std::string& marker) {
    auto at = line.find(marker);
    if (at == std::string::npos) return std::nullopt;
    std::string rest = line.substr(at + marker.size());
    while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' ')) rest.pop_back();
    while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
    return rest;
}

}  // namespace

std::string SerialReport::get(const std::string& key) const {
    auto it = kv.find(key);
    return it == kv.end() ? std::string() : it->second;
}

SerialReport parse_serial(const std::string& text) {
    SerialReport r;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (after(line, "MDTEST-BOOT:")) r.booted = true;
        if (auto s = after(line, "MDTEST-STEP:")) r.steps.push_back(*s);
        if (auto s = after(line, "MDTEST-KV:")) {
            auto eq = s->find('=');
            if (eq != std::string::npos) r.kv[s->substr(0, eq)] = s->substr(eq + 1);
        }
        // Only the first result counts: /init prints exactly one.
        if (auto s = after(line, "MDTEST-RESULT:"); s && !r.result) r.result = *s;
        if (line.find("MDTEST-POWEROFF") != std::string::npos) r.powered_off = true;
    }
    return r;
}

}  // namespace memdomain::test
