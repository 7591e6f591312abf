// The routes of the listener and the responses to requests that break a limit.
#include <chrono>
#include <sstream>

#include "http/gzip_stream.hpp"
#include "http/negotiation.hpp"
#include "http/serving.hpp"
#include "http/web_security.hpp"

namespace nq::metrics {
namespace serving {

// "GET " + target + " HTTP/1.1": what the request line adds to method and target.
constexpr size_t kRequestLineOverhead = 11;

Response make_response(const Request& req, http::status status, std::string_view content_type,
                       std::string body, const std::string& server_name) {
  Response res{status, req.version()};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, content_type);
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::head) {
    res.content_length(body.size());
  } else {
    res.body() = std::move(body);
    res.prepare_payload();
  }
  return res;
}

Response error_response(http::status status, std::string body, const std::string& server_name) {
  Request bad;
  bad.version(11);
  bad.keep_alive(false);
  return make_response(bad, status, "text/plain", std::move(body), server_name);
}

// The answer to a request that could not be read whole.
Response unreadable_request_response(beast::error_code ec, const std::string& server_name) {
  if (ec == http::error::header_limit) {
    return error_response(http::status::request_header_fields_too_large,
                          "Request Header Fields Too Large\n", server_name);
  }
  if (ec == http::error::unexpected_body) {
    return error_response(http::status::payload_too_large,
                          "Payload Too Large: requests carry no body here\n", server_name);
  }
  return error_response(http::status::bad_request, "Bad Request: " + ec.message() + "\n",
                        server_name);
}

Response route(const Request& req, const ServingContext& context) {
  const HttpEndpoints& endpoints = context.endpoints;
  const auto& name = endpoints.server_name;
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    Response res = make_response(req, http::status::method_not_allowed, "text/plain",
                                 "Method Not Allowed\n", name);
    res.set(http::field::allow, "GET, HEAD");
    return res;
  }
  std::string_view target = req.target();
  target = target.substr(0, target.find('?'));
  if (target == "/metrics") {
    const ExpositionFormat format = negotiate_format(req[http::field::accept]);
    notify(endpoints.on_scrape, context.sessions.load());
    const bool gzip = accepts_gzip(req[http::field::accept_encoding]);
    std::string body;
    if (gzip) {
      std::string error;
      const auto render = [&](const BodySink& sink) { endpoints.render_metrics(format, sink); };
      if (!gzip_rendered(render, body, error)) {
        return error_response(http::status::internal_server_error, error + "\n", name);
      }
    } else {
      endpoints.render_metrics(format, whole_body(body));
    }
    Response res =
        make_response(req, http::status::ok, content_type(format), std::move(body), name);
    if (gzip) res.set(http::field::content_encoding, "gzip");
    res.set(http::field::vary, "Accept, Accept-Encoding");
    return res;
  }
  if (target == "/") {
    return make_response(req, http::status::ok, "text/html; charset=utf-8",
                         endpoints.landing_page_html, name);
  }
  if (target == "/-/healthy" || target == "/-/ready") {
    return make_response(req, http::status::ok, "text/plain", "OK\n", name);
  }
  return make_response(req, http::status::not_found, "text/plain", "Not Found\n", name);
}

Response answer(ServingContext& context, const WebSecurity& security, beast::error_code read_error,
                const Request& req) {
  const std::string& name = context.endpoints.server_name;
  Response res;
  if (read_error) {
    res = unreadable_request_response(read_error, name);
  } else if (req.method_string().size() + req.target().size() + kRequestLineOverhead >
             context.limits.max_request_line_bytes) {
    res = error_response(http::status::uri_too_long, "URI Too Long\n", name);
  } else if (security.rate_limiter &&
             !security.rate_limiter->try_take(std::chrono::steady_clock::now())) {
    res = make_response(req, http::status::too_many_requests, "text/plain", "Too Many Requests\n",
                        name);
  } else if (security.auth.enabled() && !security.auth.allows(req[http::field::authorization])) {
    notify(context.endpoints.on_auth_failure);
    res = make_response(req, http::status::unauthorized, "text/plain", "Unauthorized\n", name);
    res.set(http::field::www_authenticate, "Basic realm=\"nq-metrics\", charset=\"UTF-8\"");
  } else {
    try {
      res = route(req, context);
    } catch (const std::exception& e) {
      context.log->error("serving {} failed: {}", std::string(req.target()), e.what());
      res = make_response(req, http::status::internal_server_error, "text/plain",
                          "Internal Server Error\n", name);
    }
  }
  for (const auto& [header, value] : security.headers) res.set(header, value);
  return res;
}

}  // namespace serving

std::string answer_raw_request(std::string_view bytes, const HttpEndpoints& endpoints,
                               const ListenerLimits& limits, const WebConfig& web) {
  static const auto quiet = std::make_shared<spdlog::logger>("nq-raw-request");
  serving::ServingContext context{endpoints, limits, quiet, {}};
  std::string error;
  const auto security = serving::build_web_security(web, nullptr, error);
  if (!security) return {};
  serving::http::request_parser<serving::http::empty_body> parser;
  parser.header_limit(limits.max_header_bytes);
  parser.eager(true);
  serving::beast::error_code ec;
  parser.put(serving::net::buffer(bytes.data(), bytes.size()), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  std::ostringstream out;
  out << serving::answer(context, *security, ec, parser.get());
  return out.str();
}

}  // namespace nq::metrics
