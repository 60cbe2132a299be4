// memdomainctl's human-readable output: one renderer per verb, from the
// result object of the control protocol (control_protocol.h lists its
// fields) and, for the changing verbs, the request that asked for it.
// Columns are aligned; sizes are written the way configs write them (64M,
// 2M pages). Also the one-line progress bar a create draws on a terminal.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace memdomain::ctl {

// The text for `request`'s result; throws nlohmann::json::exception when the
// result lacks a field (a server of another version): the caller reports it.
std::string render(const nlohmann::json& request, const nlohmann::json& result);

// Aligns rows of cells into columns separated by two spaces.
std::string table(const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");

// "[#####.....] 512M/1G 50%": `width` cells of bar, then done/total and the
// percentage (100% for an empty total).
std::string progress_bar(std::uint64_t done, std::uint64_t total, std::size_t width = 30);

}  // namespace memdomain::ctl
