// The plugin's settings, read once through the engine's config_lookup service
// when an instance is created.
//
// Thread-safety: a Settings value is immutable after read_settings() returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "record/event_recorder.hpp"
#include "store/metric_store.hpp"
#include "nq/nq_plugin_abi.h"
#include "http/web_config.hpp"

namespace nq::metrics {

struct ListenAddress {
  std::string host;  // an IPv4 or IPv6 literal, no brackets
  uint16_t port = 0;

  std::string to_string() const;  // "127.0.0.1:9470", "[::1]:9470"
};

// Limits of the HTTP listener (settings http_*; see kListenerSettings).
struct ListenerLimits {
  uint32_t threads = 2;                    // the fixed serving pool
  uint32_t max_connections = 64;           // more are answered 503 and closed
  uint32_t max_header_bytes = 8192;        // request line + headers; more: 431
  uint32_t max_request_line_bytes = 2048;  // more: 414
  uint32_t read_timeout_seconds = 10;      // a started request must arrive in this time
  uint32_t idle_timeout_seconds = 60;      // a keep-alive connection may wait this long
};

struct Settings {
  ListenAddress listen{"127.0.0.1", 9470};  // loopback unless told otherwise
  ListenerLimits listener;
  WebConfig web;  // from web_config_file; empty: plain HTTP, no auth
  std::string log_level = "info";
  RecorderOptions recorder;  // slow_query_seconds, label_value_max_bytes
  StoreOptions store;        // max_* bounds, buckets.* overrides
};

// The settings a plugin understands, with their defaults, for the reference
// documentation: (key, default, meaning).
struct SettingDoc {
  std::string key;
  std::string default_value;
  std::string meaning;
};
std::vector<SettingDoc> settings_reference();

// Reads the settings; on a bad value returns nullopt and sets `error` to a
// message naming the key, the value and what was expected.
std::optional<Settings> read_settings(const nq_engine_services& services, std::string& error);

// Parses "HOST:PORT" / "[V6]:PORT"; nullopt when malformed.
std::optional<ListenAddress> parse_listen_address(const std::string& text);

}  // namespace nq::metrics
