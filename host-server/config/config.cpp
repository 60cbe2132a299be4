// The config model's few functions: how a source location is printed in
// every error message ("FILE:LINE:COL").
#include "config/config.h"

namespace memdomain::config {

std::string to_string(const SourceLocation& loc) {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column);
}

}  // namespace memdomain::config
