// libFuzzer target: arbitrary bytes as an HTTP request to the plugin's
// listener (Beast's parser with the listener's limits, then its routes),
// through the same code a connection runs, without a socket. The response
// must be a well-formed HTTP/1.1 status line whatever the input.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/http_listener.hpp"

namespace {

const nq::metrics::HttpEndpoints& endpoints() {
  static const nq::metrics::HttpEndpoints e = [] {
    nq::metrics::HttpEndpoints made;
    made.render_metrics = [](nq::metrics::ExpositionFormat, const nq::metrics::BodySink& sink) {
      std::string body = "# TYPE x counter\nx_total 1\n";
      sink.take(body);
    };
    made.server_name = "nq-metrics/fuzz";
    made.landing_page_html = "<html></html>";
    made.on_auth_failure = [] {};
    return made;
  }();
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nq::metrics::ListenerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_request_line_bytes = 256;
  nq::metrics::WebConfig web;
  web.headers.emplace_back("X-Frame-Options", "deny");
  const std::string response = nq::metrics::answer_raw_request(
      {reinterpret_cast<const char*>(data), size}, endpoints(), limits, web);
  if (response.rfind("HTTP/1.", 0) != 0) std::abort();
  return 0;
}
