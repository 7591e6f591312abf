// Reading the mock engine's TOML files (the engine config and scenarios):
// every key checked against the list the format declares, and every problem
// reported as "FILE:LINE:COLUMN: KEY: problem" (ConfigError).
//
// Thread-safety: a Reader is used by one thread while it reads a file.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine_config.hpp"
#include "fault_profiles.hpp"

namespace nq::mock {

enum class Kind {
  table,
  settings_table,
  table_array,
  string,
  integer,
  number,
  boolean,
  string_array
};

// A key a format allows, by its dotted path (an array of tables' entries
// are checked under the array's own path: "phase.seconds").
struct KeySpec {
  std::string_view path;
  Kind kind;
};

// The contents of `file`; throws ConfigError ("FILE: cannot read the WHAT").
std::string read_file(const std::string& file, std::string_view what);

class Reader {
 public:
  Reader(std::string file, std::span<const KeySpec> keys) : file_(std::move(file)), keys_(keys) {}

  // Parses `text` and rejects unknown keys and wrong types anywhere in it.
  toml::table parse(const std::string& text) const;

  [[noreturn]] void fail(const toml::source_region& where, std::string_view key,
                         const std::string& problem) const;
  uint32_t integer_in(const toml::node& node, std::string_view key, int64_t lo, int64_t hi) const;
  // A number (integer or floating point) in [lo, hi].
  double number_in(const toml::node& node, std::string_view key, double lo, double hi) const;
  // An array of fault profile names.
  FaultSet faults(const toml::array& names, std::string_view key) const;

  const std::string& file() const { return file_; }

 private:
  void check_keys(const toml::table& table, const std::string& prefix) const;

  std::string file_;
  std::span<const KeySpec> keys_;
};

}  // namespace nq::mock
