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

// A domain made at run time (the control plane's "create" verb), checked by
// the same rules as one in a config file. `text` holds exactly one
// "memdomain NAME { ... }" block and nothing else but blanks and comments:
// no version, no server block, no second domain. Errors are the same
// one-liners, "SOURCE:LINE:COL: ...". Whether the name is already taken is
// the caller's question: the text alone cannot answer it.
Result<DomainConfig> parse_domain_text(std::string_view text, const std::string& source_name);

}  // namespace memdomain::config
