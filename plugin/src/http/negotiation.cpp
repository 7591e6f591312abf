#include "http/negotiation.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

namespace nq::metrics {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// One element of a comma-separated header with parameters ("type;a=b;q=0.5").
struct HeaderElement {
  std::string_view value;
  std::string_view version;   // the "version" parameter, if any
  std::string_view proto;     // protobuf's "proto" parameter, if any
  std::string_view encoding;  // protobuf's "encoding" parameter, if any
  double q = 1.0;
};

template <typename Visit>
void for_each_element(std::string_view header, Visit&& visit) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view element = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    HeaderElement parsed;
    const auto semicolon = element.find(';');
    parsed.value = trim(element.substr(0, semicolon));
    std::string_view params =
        semicolon == std::string_view::npos ? std::string_view{} : element.substr(semicolon + 1);
    while (!params.empty()) {
      const auto next = params.find(';');
      const std::string_view param = params.substr(0, next);
      params = next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
      const auto eq = param.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = trim(param.substr(0, eq));
      const std::string_view value = trim(param.substr(eq + 1));
      if (iequals(key, "q")) {
        double q = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
        parsed.q =
            ec == std::errc{} && end == value.data() + value.size() ? std::clamp(q, 0.0, 1.0) : 0.0;
      } else if (iequals(key, "version")) {
        parsed.version = value;
      } else if (iequals(key, "proto")) {
        parsed.proto = value;
      } else if (iequals(key, "encoding")) {
        parsed.encoding = value;
      }
    }
    if (!parsed.value.empty()) visit(parsed);
  }
}

}  // namespace

ExpositionFormat negotiate_format(std::string_view accept) {
  double protobuf = 0;
  double openmetrics = 0;
  double text = accept.empty() ? 1.0 : 0.0;
  for_each_element(accept, [&](const HeaderElement& e) {
    if (iequals(e.value, "application/vnd.google.protobuf")) {
      // Only the delimited MetricFamily stream (not protobuf's text formats).
      if (e.proto == "io.prometheus.client.MetricFamily" && e.encoding == "delimited")
        protobuf = std::max(protobuf, e.q);
    } else if (iequals(e.value, "application/openmetrics-text")) {
      if (e.version.empty() || e.version == "1.0.0" || e.version == "0.0.1")
        openmetrics = std::max(openmetrics, e.q);
    } else if (iequals(e.value, "text/plain") || iequals(e.value, "text/*") ||
               iequals(e.value, "*/*")) {
      text = std::max(text, e.q);
    }
  });
  // The highest q wins; on a tie protobuf, then OpenMetrics, then text.
  if (protobuf > 0 && protobuf >= openmetrics && protobuf >= text) {
    return ExpositionFormat::protobuf_delimited;
  }
  return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::openmetrics
                                                : ExpositionFormat::prometheus_text;
}

bool accepts_gzip(std::string_view accept_encoding) {
  bool gzip = false;
  for_each_element(accept_encoding, [&](const HeaderElement& e) {
    if (iequals(e.value, "gzip")) gzip = e.q > 0;
  });
  return gzip;
}

}  // namespace nq::metrics
