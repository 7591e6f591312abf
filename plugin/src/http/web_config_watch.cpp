#include "http/web_config_watch.hpp"

#include <algorithm>

namespace nq::metrics::serving {

WebConfigWatch::WebConfigWatch(WebConfig initial, std::shared_ptr<spdlog::logger> log,
                               std::function<void(bool ok)> on_reload)
    : initial_(std::move(initial)),
      log_(std::move(log)),
      on_reload_(std::move(on_reload)),
      watched_(initial_.files) {}

bool WebConfigWatch::start(std::string& error) {
  current_ = build_web_security(initial_, nullptr, error);
  if (current_) log_notes(initial_);
  return current_ != nullptr;
}

void WebConfigWatch::watch_on(const boost::asio::any_io_executor& strand) {
  if (initial_.path.empty()) return;
  timer_.emplace(strand);
  schedule();
}

void WebConfigWatch::stop() {
  timer_.reset();  // a wait in flight completes as aborted
}

void WebConfigWatch::schedule() {
  timer_->expires_after(kCheckInterval);
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !timer_) return;  // the listener stops (a handler already queued finds no timer)
    check();
    schedule();
  });
}

void WebConfigWatch::check() {
  std::vector<FileRead> seen;
  for (const FileRead& file : watched_) seen.push_back({file.path, stamp_of(file.path)});
  const bool changed =
      !std::equal(seen.begin(), seen.end(), watched_.begin(), watched_.end(),
                  [](const FileRead& a, const FileRead& b) { return a.stamp == b.stamp; });
  if (!changed) return;
  std::string error;
  const auto config = load_web_config(initial_.path, error);
  auto next = config ? build_web_security(*config, current_.get(), error) : nullptr;
  if (!next) {
    // Tried again when one of these changes: the files the new config names
    // when it could be parsed, else those of the config in force.
    watched_ = config ? config->files : std::move(seen);
    log_->warn("web config not reloaded, the previous one stays in force: {}", error);
    if (on_reload_) on_reload_(false);
    return;
  }
  current_ = std::move(next);
  watched_ = config->files;
  log_->info("web config {} reloaded: new connections use it", initial_.path);
  log_notes(*config);
  if (on_reload_) on_reload_(true);
}

void WebConfigWatch::log_notes(const WebConfig& config) const {
  for (const std::string& note : config.notes) log_->warn("web config {}: {}", config.path, note);
}

}  // namespace nq::metrics::serving
