#include "entry/engine_log.hpp"

#include <spdlog/sinks/base_sink.h>

#include <mutex>

namespace nq::metrics {
namespace {

nq_log_level to_engine_level(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return NQ_LOG_TRACE;
    case spdlog::level::debug:
      return NQ_LOG_DEBUG;
    case spdlog::level::info:
      return NQ_LOG_INFO;
    case spdlog::level::warn:
      return NQ_LOG_WARN;
    default:
      return NQ_LOG_ERROR;
  }
}

class EngineLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit EngineLogSink(const nq_engine_services& services) : services_(services) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (services_.log == nullptr) return;
    const nq_str text{msg.payload.data(), msg.payload.size()};
    services_.log(services_.engine_context, to_engine_level(msg.level), text);
  }
  void flush_() override {}

 private:
  const nq_engine_services& services_;
};

}  // namespace

std::shared_ptr<spdlog::logger> make_engine_logger(const nq_engine_services& services,
                                                   const std::string& level) {
  auto logger =
      std::make_shared<spdlog::logger>("nq_metrics", std::make_shared<EngineLogSink>(services));
  logger->set_level(spdlog::level::from_str(level));
  return logger;
}

}  // namespace nq::metrics
