#include "keeper/keeper_log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace memdomain::keeper {

void setup_logging() {
    auto logger = spdlog::stderr_color_mt("memdomain-keeper");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ memdomain-keeper: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::info);
    spdlog::flush_on(spdlog::level::trace);
}

}  // namespace memdomain::keeper
