// The listener's web config in force: the snapshot (web_security.hpp) that a
// new connection gets, and its reload when the web config file or a file it
// names changes, without a restart or a plugin reload (exporter-toolkit
// reads them again for new connections, so a renewed certificate or a
// changed user list applies at once; so here, within kCheckInterval).
//
// Every kCheckInterval the watch compares each file's stamp (device, inode,
// size, mtime, ctime) with the one taken before it was last read. On a
// change it reads the web config, builds a complete new snapshot and
// publishes it for the next connections; connections already open keep
// theirs. A file that cannot be read, parsed or loaded keeps the previous
// snapshot in force, logged as a warning with the reason and reported to
// `on_reload(false)`, and is tried again when one of the files changes
// again.
//
// Thread-safety: none of its own. The listener calls every member on its
// acceptor's strand, where the check timer's handler runs too: the accept
// handler reads current(), the check replaces it, never at once, so
// publishing needs no lock; each connection holds its own shared_ptr copy.
#pragma once

#include <spdlog/logger.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/web_config.hpp"
#include "http/web_security.hpp"

namespace nq::metrics::serving {

class WebConfigWatch {
 public:
  static constexpr auto kCheckInterval = std::chrono::seconds(1);

  // `initial`: the web config read when the plugin was created; its `path`
  // (empty: not from a file, nothing to watch) and `files` are watched.
  // `on_reload(ok)` is told the result of each reload.
  WebConfigWatch(WebConfig initial, std::shared_ptr<spdlog::logger> log,
                 std::function<void(bool ok)> on_reload);

  // Builds the first snapshot; false with the reason (a certificate or key
  // that OpenSSL rejects, naming the file).
  bool start(std::string& error);
  // The snapshot for a new connection (after start()).
  const std::shared_ptr<const WebSecurity>& current() const noexcept { return current_; }

  // Checks every kCheckInterval on `strand` until stop().
  void watch_on(const boost::asio::any_io_executor& strand);
  void stop();
  // One check now: on a change, a reload.
  void check();

 private:
  void schedule();
  void log_notes(const WebConfig& config) const;

  const WebConfig initial_;
  const std::shared_ptr<spdlog::logger> log_;
  const std::function<void(bool)> on_reload_;
  std::shared_ptr<const WebSecurity> current_;
  std::vector<FileRead> watched_;  // with the stamps last seen
  std::optional<boost::asio::steady_timer> timer_;
};

}  // namespace nq::metrics::serving
