// The plugin's settings, read once through the engine's config_lookup service
// when an instance is created.
//
// Thread-safety: a Settings value is immutable after read_settings() returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http/listener_options.hpp"
#include "http/web_config.hpp"
#include "nq/nq_plugin_abi.h"
#include "record/recorder_options.hpp"
#include "store/store_options.hpp"

namespace nq::metrics {

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
