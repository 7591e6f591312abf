#include "expose/exposition.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <span>

#include "expose/protobuf_exposition.hpp"

namespace nq::metrics {
namespace {

using Label = prometheus::ClientMetric::Label;

// Numbers as Go's strconv 'g' with shortest precision writes them, except that
// plain notation is kept up to 1e21 so that counters read as integers:
// 5e-05, 0.0005, 1, 60, 1764023456.25, +Inf.
// The most a sample's value takes (write_value): 21 digits in plain
// notation, a sign, a point and the shortest round-trip fraction.
constexpr size_t kMaxValueChars = 64;

char* write_number(char* out, double value) {
  const auto copy = [out](std::string_view text) {
    return std::copy(text.begin(), text.end(), out);
  };
  if (std::isnan(value)) return copy("NaN");
  if (std::isinf(value)) return copy(value > 0 ? "+Inf" : "-Inf");
  const double magnitude = std::fabs(value);
  const bool plain = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21);
  return std::to_chars(out, out + kMaxValueChars, value,
                       plain ? std::chars_format::fixed : std::chars_format::scientific)
      .ptr;
}

// A sample's value; whole numbers (the common case) without a float.
char* write_value(char* out, double value) {
  if (value >= 0 && value < 1e19 && value == std::floor(value)) {
    return std::to_chars(out, out + kMaxValueChars, static_cast<uint64_t>(value)).ptr;
  }
  return write_number(out, value);
}

void append_number(std::string& out, double value) {
  char buffer[kMaxValueChars];
  out.append(buffer, write_number(buffer, value));
}

constexpr uint64_t kEachByte = 0x0101010101010101;
constexpr uint64_t kHighBits = 0x8080808080808080;

// Whether any byte of `word` equals `byte` (the zero-byte test on word ^ byte
// repeated: exact as a yes or no).
uint64_t has_byte(uint64_t word, char byte) {
  const uint64_t x = word ^ (kEachByte * static_cast<uint8_t>(byte));
  return (x - kEachByte) & ~x & kHighBits;
}

uint64_t has_escaped_byte(uint64_t word, bool escape_quote) {
  return has_byte(word, '\\') | has_byte(word, '\n') | (escape_quote ? has_byte(word, '"') : 0);
}

// Eight bytes at a time, the last eight overlapping: find_first_of would call
// memchr on the set for every byte (it was most of a scrape's escaping time).
bool needs_escape(std::string_view text, bool escape_quote) {
  const auto word_at = [&text](size_t i) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    return word;
  };
  if (text.size() < sizeof(uint64_t)) {
    return std::any_of(text.begin(), text.end(), [escape_quote](char c) {
      return c == '\\' || c == '\n' || (escape_quote && c == '"');
    });
  }
  for (size_t i = 0; i + sizeof(uint64_t) < text.size(); i += sizeof(uint64_t)) {
    if (has_escaped_byte(word_at(i), escape_quote) != 0) return true;
  }
  return has_escaped_byte(word_at(text.size() - sizeof(uint64_t)), escape_quote) != 0;
}

// Escapes \ and newline, and " where the grammar asks for it.
void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
  if (!needs_escape(text, escape_quote)) {
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

void append_hex(std::string& out, std::span<const uint8_t> bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  for (const uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
}

bool any_byte(std::span<const uint8_t> bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b != 0; });
}

class FamilyWriter {
 public:
  // `exemplars` as CollectedMetrics::exemplars of the family (OpenMetrics
  // only; empty for text 0.0.4). `out` goes to `sink` whenever it holds a
  // piece, after a series.
  // `kept_blocks` as CollectedMetrics::text_label_blocks of the family, or
  // empty.
  FamilyWriter(std::string& out, const BodySink& sink, ExpositionFormat format,
               const prometheus::MetricFamily& family, double created,
               std::span<const Exemplar> exemplars, std::span<std::string> kept_blocks)
      : out_(out),
        sink_(sink),
        openmetrics_(format == ExpositionFormat::openmetrics),
        family_(family),
        created_(created),
        exemplars_(openmetrics_ ? exemplars : std::span<const Exemplar>{}),
        kept_blocks_(kept_blocks) {}

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
    for (size_t j = 0; j < family_.metric.size(); ++j) {
      write_metric(name, j);
      if (out_.size() >= sink_.piece_bytes) {
        sink_.take(out_);
        out_.clear();
      }
    }
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

  // The exemplar at `index` of the family's exemplars, if it has one.
  const Exemplar* exemplar(size_t index) const {
    return index < exemplars_.size() && exemplars_[index].present ? &exemplars_[index] : nullptr;
  }

  // The label block of series j: the one kept for it (rebuilt when the
  // collector emptied it), or one made now when the model keeps none.
  std::string_view label_block(size_t j) {
    std::string* block = &labels_;
    if (j < kept_blocks_.size()) {
      block = &kept_blocks_[j];
    } else {
      labels_.clear();
    }
    if (block->empty()) {
      for (const Label& l : family_.metric[j].label) append_label(*block, l);
    }
    return *block;
  }

  void write_metric(std::string_view name, size_t j) {
    const prometheus::ClientMetric& m = family_.metric[j];
    const std::string_view labels = label_block(j);
    switch (family_.type) {
      case prometheus::MetricType::Counter:
        sample(name, openmetrics_ ? "_total" : "", labels, m.counter.value, exemplar(j));
        write_created(name, labels);
        break;
      case prometheus::MetricType::Gauge:
        sample(name, "", labels, m.gauge.value);
        break;
      case prometheus::MetricType::Histogram:
        for (size_t b = 0; b < m.histogram.bucket.size(); ++b) {
          const auto& bucket = m.histogram.bucket[b];
          bucket_labels_.assign(labels);
          bucket_labels_ += labels.empty() ? "{le=\"" : ",le=\"";
          append_number(bucket_labels_, bucket.upper_bound);
          bucket_labels_ += '"';
          sample(name, "_bucket", bucket_labels_, static_cast<double>(bucket.cumulative_count),
                 exemplar(j * m.histogram.bucket.size() + b));
        }
        sample(name, "_count", labels, static_cast<double>(m.histogram.sample_count));
        sample(name, "_sum", labels, m.histogram.sample_sum);
        write_created(name, labels);
        break;
      default:
        sample(name, "", labels, m.untyped.value);
    }
  }

  void write_created(std::string_view name, std::string_view labels) {
    if (openmetrics_ && !std::isnan(created_)) sample(name, "_created", labels, created_);
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
              double value, const Exemplar* exemplar = nullptr) {
    // The line is written in place, into room made for the longest it can be
    // (one size check for the whole line, not one per part).
    const size_t start = out_.size();
    out_.resize(start + name.size() + suffix.size() + label_block.size() + 2 + kMaxValueChars);
    char* at = out_.data() + start;
    const auto copy = [&at](std::string_view text) {
      at = std::copy(text.begin(), text.end(), at);
    };
    copy(name);
    copy(suffix);
    if (!label_block.empty()) {
      copy(label_block);
      *at++ = '}';
    }
    *at++ = ' ';
    at = write_value(at, value);
    out_.resize(static_cast<size_t>(at - out_.data()));
    if (exemplar != nullptr) append_exemplar(*exemplar);
    out_ += '\n';
  }

  // ` # {trace_id="…",span_id="…"} value timestamp`: 63 characters of label
  // names and values, within OpenMetrics' 128.
  void append_exemplar(const Exemplar& e) {
    out_ += " # {trace_id=\"";
    append_hex(out_, e.trace_id);
    if (any_byte(e.span_id)) {
      out_ += "\",span_id=\"";
      append_hex(out_, e.span_id);
    }
    out_ += "\"} ";
    append_number(out_, e.value);
    if (!std::isnan(e.timestamp_seconds)) {
      out_ += ' ';
      append_number(out_, e.timestamp_seconds);
    }
  }

  std::string& out_;
  const BodySink& sink_;
  bool openmetrics_;
  const prometheus::MetricFamily& family_;
  double created_;
  std::span<const Exemplar> exemplars_;
  std::span<std::string> kept_blocks_;
  std::string labels_;         // the current series' label block when none is kept
  std::string bucket_labels_;  // the same with le="..."
};

}  // namespace

void render_in_pieces(const CollectedMetrics& metrics, ExpositionFormat format,
                      const BodySink& sink) {
  std::string out;
  if (format == ExpositionFormat::protobuf_delimited) {
    out = render_protobuf(metrics);
    sink.take(out);
    return;
  }
  // Roughly 80 bytes a sample: one allocation for the whole body, or a piece.
  size_t samples = 0;
  for (const auto& family : metrics.families) {
    for (const auto& m : family.metric) samples += 1 + m.histogram.bucket.size();
  }
  const size_t whole = samples * 96 + metrics.families.size() * 256;
  out.reserve(sink.piece_bytes < whole ? sink.piece_bytes + sink.piece_bytes / 4 : whole);
  for (size_t i = 0; i < metrics.families.size(); ++i) {
    const double created =
        i < metrics.created_seconds.size() ? metrics.created_seconds[i] : std::nan("");
    const std::span<const Exemplar> exemplars = i < metrics.exemplars.size()
                                                    ? std::span(metrics.exemplars[i])
                                                    : std::span<const Exemplar>{};
    auto& kept = metrics.text_label_blocks;
    const std::span<std::string> blocks =
        i < kept.size() && kept[i].size() == metrics.families[i].metric.size()
            ? std::span(kept[i])
            : std::span<std::string>{};
    FamilyWriter(out, sink, format, metrics.families[i], created, exemplars, blocks).write();
  }
  if (format == ExpositionFormat::openmetrics) out += "# EOF\n";
  if (!out.empty()) sink.take(out);
}

BodySink whole_body(std::string& body) {
  // No piece reaches SIZE_MAX bytes before the end: the body comes whole.
  return {SIZE_MAX, [&body](std::string& piece) { body = std::move(piece); }};
}

std::string render(const CollectedMetrics& metrics, ExpositionFormat format) {
  std::string body;
  render_in_pieces(metrics, format, whole_body(body));
  return body;
}

std::string_view content_type(ExpositionFormat format) {
  switch (format) {
    case ExpositionFormat::openmetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case ExpositionFormat::protobuf_delimited:
      return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
             "encoding=delimited";
    case ExpositionFormat::prometheus_text:
      break;
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

}  // namespace nq::metrics
