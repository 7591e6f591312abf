// Reading the mock engine's TOML files (the engine config and scenarios):
// every key checked against the list the format declares, and every problem
// reported as "FILE:LINE:COLUMN: KEY: problem". Each function that can fail
// returns false or nullopt and sets its last parameter, `error`, to that
// message.
//
// Thread-safety: a Reader is used by one thread while it reads a file.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

// The contents of `file`; nullopt when it cannot be read ("FILE: cannot read
// the WHAT").
std::optional<std::string> read_file(const std::string& file, std::string_view what,
                                     std::string& error);

class Reader {
 public:
  Reader(std::string file, std::span<const KeySpec> keys) : file_(std::move(file)), keys_(keys) {}

  // Parses `text` and rejects syntax errors, and unknown keys and wrong types
  // anywhere in it.
  std::optional<toml::table> parse(const std::string& text, std::string& error) const;

  // Sets `error` to "FILE:LINE:COLUMN: KEY: problem" (no "KEY: " when `key`
  // is empty) and returns false.
  bool fail(const toml::source_region& where, std::string_view key, const std::string& problem,
            std::string& error) const;
  // An integer in [lo, hi].
  std::optional<uint32_t> integer_in(const toml::node& node, std::string_view key, int64_t lo,
                                     int64_t hi, std::string& error) const;
  // A number (integer or floating point) in [lo, hi].
  std::optional<double> number_in(const toml::node& node, std::string_view key, double lo,
                                  double hi, std::string& error) const;
  // An array of fault profile names.
  std::optional<FaultSet> faults(const toml::array& names, std::string_view key,
                                 std::string& error) const;

  const std::string& file() const { return file_; }

 private:
  bool check_keys(const toml::table& table, const std::string& prefix, std::string& error) const;

  std::string file_;
  std::span<const KeySpec> keys_;
};

}  // namespace nq::mock
