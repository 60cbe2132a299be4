// Reads what a test guest printed on its serial console: the marker lines of
// vm-images/init (MDTEST-BOOT, -STEP, -KV, -RESULT, -POWEROFF) turned into
// fields a test can assert on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace memdomain::test {

struct SerialReport {
    bool booted = false;                // MDTEST-BOOT seen: /init ran
    std::optional<std::string> result;  // "PASS" or "FAIL <why>"
    bool powered_off = false;           // MDTEST-POWEROFF seen
    std::map<std::string, std::string> kv;  // MDTEST-KV key=value; the last one wins
    std::vector<std::string> steps;     // MDTEST-STEP text, in order

    bool passed() const { return result && *result == "PASS"; }
    // The value of `key`, or "" when the guest never printed it.
    std::string get(const std::string& key) const;
};

// Markers are found anywhere in a line: a kernel message may end up in front
// of one on the same console line.
SerialReport parse_serial(const std::string& text);

}  // namespace memdomain::test
