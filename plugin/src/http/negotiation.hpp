// What a scrape's request asks for: the exposition format its Accept header
// prefers and whether its Accept-Encoding allows gzip (the gzip itself:
// http/gzip_stream.hpp).
//
// Thread-safety: pure functions of their arguments.
#pragma once

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

}  // namespace nq::metrics
