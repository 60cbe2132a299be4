// memdomainctl's human-readable output: one renderer per verb, from the
// result object of the control protocol (control_protocol.h lists its
// fields). Columns are aligned; sizes are written the way configs write them
// (64M, 2M pages).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memdomain::ctl {

// The text for `verb`'s result; throws nlohmann::json::exception when the
// result lacks a field (a server of another version): the caller reports it.
std::string render(const std::string& verb, const nlohmann::json& result);

// Aligns rows of cells into columns separated by two spaces.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");

}  // namespace memdomain::ctl
