#include "expose/exposition.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace nq::metrics {
namespace {

using Label = prometheus::ClientMetric::Label;

// Numbers as Go's strconv 'g' with shortest precision writes them, except that
// plain notation is kept up to 1e21 so that counters read as integers:
// 5e-05, 0.0005, 1, 60, 1764023456.25, +Inf.
void append_number(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[64];
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21);
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value,
                    plain ? std::chars_format::fixed : std::chars_format::scientific);
  out.append(buffer, result.ptr);
}

void append_uint(std::string& out, uint64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

// Escapes \ and newline, and " where the grammar asks for it.
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  if (text.find_first_of(escape_quote ? "\\\n\"" : "\\\n") == std::string_view::npos) {
    out += text;  // the common case: nothing to escape
    return;
  }
  for (const char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '"':
        out += escape_quote ? "\\\"" : "\"";
        break;
      default:
        out += c;
    }
  }
}

class FamilyWriter {
 public:
  FamilyWriter(std::string& out, ExpositionFormat format, const prometheus::MetricFamily& family,
               double created)
      : out_(out),
        openmetrics_(format == ExpositionFormat::openmetrics),
        family_(family),
        created_(created) {}

  void write() {
    const bool counter = family_.type == prometheus::MetricType::Counter;
    std::string_view name = family_.name;
    if (openmetrics_ && counter && name.ends_with("_total")) name.remove_suffix(6);
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, family_.help, openmetrics_);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type_name();
    out_ += '\n';
    for (const prometheus::ClientMetric& m : family_.metric) write_metric(name, m);
  }

 private:
  std::string_view type_name() const {
    switch (family_.type) {
      case prometheus::MetricType::Counter:
        return "counter";
      case prometheus::MetricType::Gauge:
        return "gauge";
      case prometheus::MetricType::Histogram:
        return "histogram";
      default:
        return openmetrics_ ? "unknown" : "untyped";
    }
  }

  void write_metric(std::string_view name, const prometheus::ClientMetric& m) {
    labels_.clear();
    for (const Label& l : m.label) append_label(labels_, l);
    switch (family_.type) {
      case prometheus::MetricType::Counter:
        sample(name, openmetrics_ ? "_total" : "", labels_, m.counter.value);
        write_created(name);
        break;
      case prometheus::MetricType::Gauge:
        sample(name, "", labels_, m.gauge.value);
        break;
      case prometheus::MetricType::Histogram:
        for (const auto& bucket : m.histogram.bucket) {
          bucket_labels_ = labels_;
          bucket_labels_ += labels_.empty() ? "{le=\"" : ",le=\"";
          append_number(bucket_labels_, bucket.upper_bound);
          bucket_labels_ += '"';
          sample(name, "_bucket", bucket_labels_, static_cast<double>(bucket.cumulative_count));
        }
        sample(name, "_count", labels_, static_cast<double>(m.histogram.sample_count));
        sample(name, "_sum", labels_, m.histogram.sample_sum);
        write_created(name);
        break;
      default:
        sample(name, "", labels_, m.untyped.value);
    }
  }

  void write_created(std::string_view name) {
    if (openmetrics_ && !std::isnan(created_)) sample(name, "_created", labels_, created_);
  }

  // Appends `name="value"` to an open label block ({a="x" without the closing brace).
  static void append_label(std::string& block, const Label& l) {
    block += block.empty() ? '{' : ',';
    block += l.name;
    block += "=\"";
    append_escaped(block, l.value, true);
    block += '"';
  }

  void sample(std::string_view name, std::string_view suffix, std::string_view label_block,
              double value) {
    out_ += name;
    out_ += suffix;
    if (!label_block.empty()) {
      out_ += label_block;
      out_ += '}';
    }
    out_ += ' ';
    if (value >= 0 && value < 1e19 && value == std::floor(value)) {
      append_uint(out_, static_cast<uint64_t>(value));  // the common case, without a float
    } else {
      append_number(out_, value);
    }
    out_ += '\n';
  }

  std::string& out_;
  bool openmetrics_;
  const prometheus::MetricFamily& family_;
  double created_;
  std::string labels_;         // the current series' label block, without "}"
  std::string bucket_labels_;  // the same with le="..."
};

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
  std::string_view version;  // the "version" parameter, if any
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
      }
    }
    if (!parsed.value.empty()) visit(parsed);
  }
}

}  // namespace

std::string render(const CollectedMetrics& metrics, ExpositionFormat format) {
  // Roughly 80 bytes a sample: one allocation for the whole body.
  size_t samples = 0;
  for (const auto& family : metrics.families) {
    for (const auto& m : family.metric) samples += 1 + m.histogram.bucket.size();
  }
  std::string out;
  out.reserve(samples * 96 + metrics.families.size() * 256);
  for (size_t i = 0; i < metrics.families.size(); ++i) {
    const double created =
        i < metrics.created_seconds.size() ? metrics.created_seconds[i] : std::nan("");
    FamilyWriter(out, format, metrics.families[i], created).write();
  }
  if (format == ExpositionFormat::openmetrics) out += "# EOF\n";
  return out;
}

std::string_view content_type(ExpositionFormat format) {
  return format == ExpositionFormat::openmetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

ExpositionFormat negotiate_format(std::string_view accept) {
  double openmetrics = 0;
  double text = accept.empty() ? 1.0 : 0.0;
  for_each_element(accept, [&](const HeaderElement& e) {
    if (iequals(e.value, "application/openmetrics-text")) {
      if (e.version.empty() || e.version == "1.0.0" || e.version == "0.0.1")
        openmetrics = std::max(openmetrics, e.q);
    } else if (iequals(e.value, "text/plain") || iequals(e.value, "text/*") ||
               iequals(e.value, "*/*")) {
      text = std::max(text, e.q);
    }
  });
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

std::string gzip_compress(std::string_view body) {
  z_stream stream{};
  constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper
  if (deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  stream.avail_in = static_cast<uInt>(body.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

}  // namespace nq::metrics
