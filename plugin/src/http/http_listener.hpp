// The plugin's own HTTP endpoint (Boost.Beast): /metrics, /, /-/healthy, /-/ready.
//
// Ownership: the listener owns its socket, io_context and serving thread; it
// never owns metrics, it only calls render_metrics() per scrape.
// Thread-safety: start() and stop() are called from the plugin's lifecycle
// (one thread at a time). Requests are served on the listener's own fixed
// pool of threads (ListenerLimits::threads), never on an engine thread;
// render_metrics may be called from several of them at once.
//
// Limits (ListenerLimits, each a plugin setting): connections past the
// maximum are answered 503 and closed; a request must arrive whole within
// the read timeout of its first byte (slow clients are cut off) and a
// keep-alive connection may idle for the idle timeout; request line and
// header sizes are capped (414, 431); no request may carry a body (413);
// only GET and HEAD (405); unknown paths 404. With basic_auth_users, every
// request needs credentials (401 with WWW-Authenticate otherwise, counted
// through on_auth_failure); with tls_server_config, connections are TLS;
// with rate_limit, requests beyond it are answered 429. A web config read
// from a file is reloaded when it or a file it names changes, for new
// connections (web_config_watch.hpp; reported through on_web_config_reload).
// Only the http/ room includes Beast (serving.hpp, session.hpp).
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "catalogue/listener_labels.hpp"
#include "expose/exposition.hpp"
#include "http/listener_options.hpp"
#include "http/web_config.hpp"

namespace nq::metrics {

// What the listener serves, and whom it tells what happened (each callback
// optional, called on a serving thread).
struct HttpEndpoints {
  // One scrape, uncompressed, handed to the sink (which may compress it).
  std::function<void(ExpositionFormat, const BodySink&)> render_metrics;
  std::string server_name;  // "nq-metrics/0.1.0"
  std::string landing_page_html;
  std::function<void()> on_auth_failure;  // a request refused for its credentials
  std::function<void(uint32_t connections_open)> on_scrape;  // before render_metrics
  std::function<void(unsigned status)> on_response;          // a response is sent
  std::function<void(ConnectionEnd)> on_connection_end;      // a connection is gone
  std::function<void(bool ok)> on_web_config_reload;         // the web config file changed
};

// Answers one request given as raw bytes as a connection of a listener with
// these settings would (limits, credentials, routes, headers), without a
// socket, and returns the serialized response (empty when `web` asks for a
// TLS context that cannot be made). For the fuzz target.
std::string answer_raw_request(std::string_view bytes, const HttpEndpoints& endpoints,
                               const ListenerLimits& limits, const WebConfig& web);

class HttpListener {
 public:
  // `web`: TLS, client certificates, basic auth, headers and rate limit
  // (web_config.hpp); when read from a file, watched for changes.
  HttpListener(ListenAddress address, ListenerLimits limits, WebConfig web, HttpEndpoints endpoints,
               std::shared_ptr<spdlog::logger> log);
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds, listens and starts serving; with `adopted_socket` >= 0, serves that
  // listening socket instead (handed over by the previous copy of the plugin
  // on hot reload) and owns it. On failure returns false with a message such
  // as "cannot listen on 127.0.0.1:9470: Address already in use" or "TLS key
  // server.key: does not match the certificate server.crt".
  bool start(std::string& error, int adopted_socket = -1);
  // Stops accepting, lets requests being served finish (up to a second),
  // then closes every connection. Connections the kernel queued meanwhile
  // stay queued for whoever else holds the socket.
  void stop() noexcept;

  // A duplicate of the listening socket for the next copy of the plugin, or
  // -1 when not listening.
  int duplicate_socket() const noexcept;

  // The bound address (the real port when the settings asked for port 0).
  ListenAddress bound_address() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nq::metrics
