#include "toml_reader.hpp"

#include <fstream>
#include <sstream>

namespace nq::mock {
namespace {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::table:
    case Kind::settings_table:
      return "a table";
    case Kind::table_array:
      return "an array of tables ([[...]])";
    case Kind::string:
      return "a string";
    case Kind::integer:
      return "an integer";
    case Kind::number:
      return "a number";
    case Kind::boolean:
      return "true or false";
    case Kind::string_array:
      return "an array of strings";
  }
  return "?";
}

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

bool has_kind(const toml::node& node, Kind kind) {
  switch (kind) {
    case Kind::table:
    case Kind::settings_table:
      return node.is_table();
    case Kind::table_array:
      return node.is_array_of_tables();
    case Kind::string:
      return node.is_string();
    case Kind::integer:
      return node.is_integer();
    case Kind::number:
      return node.is_integer() || node.is_floating_point();
    case Kind::boolean:
      return node.is_boolean();
    case Kind::string_array:
      return node.is_array() && node.as_array()->is_homogeneous(toml::node_type::string);
  }
  return false;
}

}  // namespace

std::optional<std::string> read_file(const std::string& file, std::string_view what,
                                     std::string& error) {
  std::ifstream in(file);
  if (!in) {
    error = file + ": cannot read the " + std::string(what);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<toml::table> Reader::parse(const std::string& text, std::string& error) const {
  toml::table root;
  try {
    root = toml::parse(text, file_);
  } catch (const toml::parse_error& e) {
    fail(e.source(), "", "syntax error: " + std::string(e.description()), error);
    return std::nullopt;
  }
  if (!check_keys(root, "", error)) return std::nullopt;
  return root;
}

bool Reader::fail(const toml::source_region& where, std::string_view key,
                  const std::string& problem, std::string& error) const {
  std::ostringstream out;
  out << file_ << ':' << where.begin.line << ':' << where.begin.column << ": ";
  if (!key.empty()) out << key << ": ";
  out << problem;
  error = out.str();
  return false;
}

bool Reader::check_keys(const toml::table& table, const std::string& prefix,
                        std::string& error) const {
  for (const auto& [k, node] : table) {
    const std::string path =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const KeySpec* spec = nullptr;
    for (const KeySpec& s : keys_) {
      if (s.path == path) spec = &s;
    }
    if (spec == nullptr) return fail(k.source(), path, "unknown key", error);
    if (!has_kind(node, spec->kind)) {
      return fail(node.source(), path,
                  "expected " + std::string(kind_name(spec->kind)) + ", got " +
                      std::string(type_name(node)),
                  error);
    }
    if (spec->kind == Kind::table && !check_keys(*node.as_table(), path, error)) return false;
    if (spec->kind == Kind::table_array) {
      for (const toml::node& entry : *node.as_array()) {
        if (!check_keys(*entry.as_table(), path, error)) return false;
      }
    }
  }
  return true;
}

std::optional<uint32_t> Reader::integer_in(const toml::node& node, std::string_view key, int64_t lo,
                                           int64_t hi, std::string& error) const {
  const int64_t v = node.as_integer()->get();
  if (v < lo || v > hi) {
    fail(node.source(), key,
         "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
             std::to_string(v),
         error);
    return std::nullopt;
  }
  return static_cast<uint32_t>(v);
}

std::optional<double> Reader::number_in(const toml::node& node, std::string_view key, double lo,
                                        double hi, std::string& error) const {
  const double v = node.value<double>().value_or(lo - 1);
  if (!(v >= lo && v <= hi)) {
    std::ostringstream range;
    range << "must be between " << lo << " and " << hi;
    fail(node.source(), key, range.str(), error);
    return std::nullopt;
  }
  return v;
}

std::optional<FaultSet> Reader::faults(const toml::array& names, std::string_view key,
                                       std::string& error) const {
  FaultSet set;
  for (const toml::node& item : names) {
    const std::string name = item.as_string()->get();
    const auto fault = fault_by_name(name);
    if (!fault) {
      fail(item.source(), key,
           "unknown fault profile '" + name + "' (nq-mock-engine --help lists them)", error);
      return std::nullopt;
    }
    set.set(static_cast<size_t>(*fault));
  }
  return set;
}

}  // namespace nq::mock
