#include "nq/testing/exposition_samples.hpp"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace nq::testing {
namespace {

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads a metric or label name at `at`; empty when there is none.
std::string_view read_name(std::string_view line, size_t& at) {
  const size_t start = at;
  while (at < line.size() && is_name_char(line[at], at == start)) ++at;
  return line.substr(start, at - start);
}

// Reads {name="value",...} at `at` (which is at '{').
bool read_labels(std::string_view line, size_t& at, std::map<std::string, std::string>& labels) {
  ++at;  // '{'
  while (at < line.size() && line[at] != '}') {
    const std::string_view name = read_name(line, at);
    if (name.empty() || at + 1 >= line.size() || line[at] != '=' || line[at + 1] != '"') {
      return false;
    }
    at += 2;
    std::string value;
    for (; at < line.size() && line[at] != '"'; ++at) {
      if (line[at] != '\\') {
        value += line[at];
        continue;
      }
      if (++at == line.size()) return false;
      switch (line[at]) {
        case 'n':
          value += '\n';
          break;
        case '\\':
          value += '\\';
          break;
        case '"':
          value += '"';
          break;
        default:
          return false;
      }
    }
    if (at == line.size()) return false;
    ++at;  // closing quote
    labels.emplace(name, std::move(value));
    if (at < line.size() && line[at] == ',') ++at;
  }
  if (at == line.size()) return false;
  ++at;  // '}'
  return true;
}

std::optional<double> read_value(std::string_view text) {
  if (text == "+Inf") return HUGE_VAL;
  if (text == "-Inf") return -HUGE_VAL;
  if (text == "NaN") return std::nan("");
  const std::string copy(text);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<Samples> parse_exposition(std::string_view text, std::string& error) {
  Samples samples;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const size_t end = std::min(text.find('\n'), text.size());
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (line.empty() || line.front() == '#') continue;
    Sample sample;
    size_t at = 0;
    sample.name = std::string(read_name(line, at));
    bool ok = !sample.name.empty();
    if (ok && at < line.size() && line[at] == '{') ok = read_labels(line, at, sample.labels);
    ok = ok && at < line.size() && line[at] == ' ';
    std::optional<double> value;
    if (ok) {
      const std::string_view rest = line.substr(at + 1);
      value = read_value(rest.substr(0, rest.find(' ')));  // a timestamp may follow
    }
    if (!value) {
      error = "line " + std::to_string(line_number) + ": '" + std::string(line) + "'";
      return std::nullopt;
    }
    sample.value = *value;
    samples.push_back(std::move(sample));
  }
  return samples;
}

std::optional<double> value_of(const Samples& samples, std::string_view name,
                               const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name == name && s.labels == labels) return s.value;
  }
  return std::nullopt;
}

double sum_of(const Samples& samples, std::string_view name) {
  double sum = 0;
  for (const Sample& s : samples) {
    if (s.name == name) sum += s.value;
  }
  return sum;
}

}  // namespace nq::testing
