// The plugin's spdlog logger, writing through the engine's log service.
//
// The logger is never put in spdlog's process-wide registry, so a second copy
// of the plugin (hot reload) cannot collide with this one's name.
// Thread-safety: the returned logger may be used from any thread; the engine's
// log service must be callable concurrently (the ABI requires it).
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "nq/nq_plugin_abi.h"

namespace nq::metrics {

std::shared_ptr<spdlog::logger> make_engine_logger(const nq_engine_services& services,
                                                   const std::string& level);

}  // namespace nq::metrics
