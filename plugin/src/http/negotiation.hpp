// What a scrape's request asks for: the exposition format its Accept header
// prefers and whether its Accept-Encoding allows gzip; and the gzip itself.
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "expose/exposition.hpp"

namespace nq::metrics {

// The format an Accept header prefers (q-values honoured): the highest q of
// application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;
// encoding=delimited, application/openmetrics-text (version 1.0.0 or 0.0.1) and
// text/plain (or text/*, */*); on a tie in that order. Text 0.0.4 when the
// header is empty or accepts none of them.
ExpositionFormat negotiate_format(std::string_view accept);

// True when an Accept-Encoding header allows gzip (q-value above zero).
bool accepts_gzip(std::string_view accept_encoding);

// The igzip (ISA-L) level of scrape bodies: chosen by measurement against
// zlib, libdeflate and igzip's other levels (docs/PERFORMANCE.md, "Gzip of a
// scrape").
inline constexpr uint32_t kGzipLevel = 1;

// RFC 1952 gzip of `body` into `out`, compressed whole (ISA-L's igzip).
bool gzip_compress(std::string_view body, std::string& out, std::string& error);

}  // namespace nq::metrics
