// What the HTTP room shares between its parts: Beast's request and response
// types, the context every connection of a listener reads, and answer(), the
// response to one request (limits, rate limit, credentials, routes, headers).
//
// Thread-safety: a ServingContext is read-only after the listener started,
// except its atomics; answer() may run on several serving threads at once,
// each with the web config snapshot of its connection (web_security.hpp).
#pragma once

#include <spdlog/logger.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "http/http_listener.hpp"

namespace nq::metrics::serving {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using Request = http::request<http::empty_body>;
using Response = http::response<http::string_body>;

struct WebSecurity;

// What every connection of a listener shares: read-only after start(),
// except the atomics of the serving state. What the web config says is in
// each connection's WebSecurity snapshot.
struct ServingContext {
  HttpEndpoints endpoints;
  ListenerLimits limits;
  std::shared_ptr<spdlog::logger> log;
  std::atomic<bool> stopping{false};
  std::atomic<uint32_t> sessions{0};
};

// A response that closes the connection (a request that broke a limit).
Response error_response(http::status status, std::string body, const std::string& server_name);

// The answer to a request read whole (or to the error that stopped reading
// it): limits, then the rate limit, then credentials, then the route; with
// the configured headers. `security`: the connection's web config snapshot.
Response answer(ServingContext& context, const WebSecurity& security, beast::error_code read_error,
                const Request& req);

}  // namespace nq::metrics::serving
