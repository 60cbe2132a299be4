// Parses the memdomain config language (grammar, keys, defaults and every
// error message in docs/config-grammar.md) into a Config. The parser takes
// text, not a path, so tests feed it directly.
//
// Every error is one line, "FILE:LINE:COL: what was expected", and the parser
// never returns a partial Config.
#pragma once

#include <istream>
#include <string>
#include <string_view>

#include "config/config.h"
#include "memdomain/common/result.h"

namespace memdomain::config {

// `source_name` is what error messages call the file.
Result<Config> parse_config(std::string_view text, const std::string& source_name);
Result<Config> parse_config(std::istream& in, const std::string& source_name);
// Reads and parses a file; an unreadable file is an error naming it.
Result<Config> parse_config_file(const std::string& path);

}  // namespace memdomain::config
