// Golden exposition: the whole /metrics output, byte for byte, against files
// kept in the source tree (tests/golden/metrics.prom for Prometheus text 0.0.4,
// tests/golden/metrics.openmetrics for OpenMetrics 1.0.0; for the delimited
// protobuf format, tests/golden/metrics.protobuf.txt holds protoc's decoding of
// every family, tests/support/protobuf_decode.hpp).
//
// What it is for: every family's name, HELP and TYPE lines, label names and
// their order, label escaping, number formatting, bucket bounds and the order
// of families and series are part of what dashboards, alert rules and
// recording rules depend on. The other tests look samples up by name; this
// one makes any change of the exposition visible as a diff in review.
//
// How: a plugin built with the fixed build id "golden" (tests/CMakeLists.txt)
// is loaded through the real host runtime (testing kit, fake clock); a fixed
// script fires every hook of the ABI once or more, from this one thread, with
// fixed values (engine-valued labels, histogram observations in different
// buckets); /metrics is then fetched over loopback HTTP in each format and
// compared with the file after masking.
//
// Masking: only values that depend on the process, the machine or the wall
// clock are replaced by "<masked>"; the line, its name and labels stay.
//   - process_* (read from /proc and getrlimit);
//   - neuroquantum_plugin_start_time_seconds and every *_created sample (Unix
//     time at which the plugin started);
//   - neuroquantum_plugin_scrape_duration_seconds: its finite buckets and its
//     _sum (measured with a real clock); its le="+Inf" bucket and _count (the
//     number of earlier scrapes) are kept;
//   - neuroquantum_plugin_http_connections_* (whether the connection of the
//     scrape before has been counted as closed yet is a matter of timing);
//     the responses by code are kept.
// The version label of neuroquantum_build_info is kept: a version bump shows
// in the diff, and the files are then updated.
//
// Updating the files after an intended change: set NQ_UPDATE_GOLDEN=1, e.g.
//   NQ_UPDATE_GOLDEN=1 ctest --preset release -R GoldenExposition
// or run the test binary (nq_golden_tests) with NQ_UPDATE_GOLDEN=1; it writes
// the files instead of comparing, says so, and the diff is reviewed with git.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "nq/nq_abi_cpp.hpp"
#include "nq/testing/http_client.hpp"
#include "nq/testing/plugin_under_test.hpp"
#include "protobuf_decode.hpp"

namespace {

using nq::make_event;
using nq::to_nq_str;

using nq::testing::PluginUnderTest;

constexpr std::string_view kMasked = "<masked>";
constexpr uint64_t kUs = 1'000;
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kS = 1'000'000'000;

// ---- The script ------------------------------------------------------------
// Every hook of NQ_HOOK_LIST at least once, in a fixed order, from one thread.

void fire_queries(PluginUnderTest& p) {
  struct Statement {
    nq_query_type type;
    nq_query_status status;
    uint64_t duration_ns;
    std::string_view digest, text, error_type;
    uint64_t rows_examined, rows_returned;
    std::string_view database, user, application;  // ABI 1.2; empty: not given
  };
  const Statement statements[] = {
      // 3 ms: bucket le="0.005" of query_duration_seconds{query_type="select"}.
      {NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 3 * kMs, "5f2b9c0e1d7a4b36",
       "SELECT \"id\", total FROM orders WHERE customer_id = ?", "", 42, 3, "shop", "web",
       "storefront"},
      // The same digest in another database: a digest series of its own.
      {NQ_QUERY_SELECT, NQ_QUERY_SUCCESS, 40 * kMs, "5f2b9c0e1d7a4b36",
       "SELECT \"id\", total FROM orders WHERE customer_id = ?", "", 40, 2, "billing", "web",
       "storefront"},
      // 1.5 s: bucket le="2.5", and slow (threshold 1 s).
      {NQ_QUERY_UPDATE, NQ_QUERY_ERROR, 1500 * kMs, "a93e07c4be115d20",
       "UPDATE accounts SET balance = balance - ? WHERE id = ?", "lock_timeout", 1, 0, "billing",
       "batch", "invoicer"},
      {NQ_QUERY_INSERT, NQ_QUERY_CANCELLED, 20 * kMs, "", "", "", 0, 0, "shop", "web", ""},
      // As from an engine of ABI 1.1: no database, user or application.
      {NQ_QUERY_DDL, NQ_QUERY_ERROR, 700 * kUs, "", "", "syntax", 0, 0, "", "", ""},
  };
  uint64_t id = 1;
  for (const Statement& s : statements) {
    auto begin = make_event<nq_query_begin_event>();
    begin.query_type = s.type;
    begin.query_id = id;
    begin.connection_id = 11;
    begin.timestamp_ns = p.now_ns();
    begin.digest = to_nq_str(s.digest);
    begin.normalized_text = to_nq_str(s.text);
    begin.database = to_nq_str(s.database);
    begin.user = to_nq_str(s.user);
    begin.application = to_nq_str(s.application);
    p.fire_query_begin(begin);

    auto end = make_event<nq_query_end_event>();
    end.query_type = s.type;
    end.query_id = id++;
    end.connection_id = 11;
    end.status = s.status;
    end.duration_ns = s.duration_ns;
    end.parse_ns = 100 * kUs;
    end.plan_ns = 200 * kUs;
    end.execute_ns = s.duration_ns - 500 * kUs;
    end.lock_wait_ns = 150 * kUs;
    end.io_wait_ns = 50 * kUs;
    end.rows_examined = s.rows_examined;
    end.rows_returned = s.rows_returned;
    end.digest = to_nq_str(s.digest);
    end.error_type = to_nq_str(s.error_type);
    end.database = to_nq_str(s.database);
    end.user = to_nq_str(s.user);
    end.application = to_nq_str(s.application);
    if (&s == &statements[0]) {
      // Traced: the exemplar of its bucket and of its digest counters (no
      // timestamp_ns, so that the exemplar is undated and the golden stable).
      for (uint8_t i = 0; i < sizeof end.trace_id; ++i) end.trace_id[i] = 0x10 + i;
      for (uint8_t i = 0; i < sizeof end.span_id; ++i) end.span_id[i] = 0xb0 + i;
    }
    p.fire_query_end(end);
  }
  // One statement still running at the scrape.
  auto running = make_event<nq_query_begin_event>();
  running.query_type = NQ_QUERY_DELETE;
  running.query_id = id;
  p.fire_query_begin(running);

  auto queued = make_event<nq_query_queue_event>();
  queued.query_id = 20;
  queued.queue_length = 1;
  p.fire_query_queue_enter(queued);
  queued.query_id = 21;
  queued.queue_length = 2;
  p.fire_query_queue_enter(queued);
  auto left = make_event<nq_query_queue_event>();
  left.query_id = 20;
  left.queue_length = 1;
  left.wait_ns = 7 * kMs;
  p.fire_query_queue_leave(left);
}

void fire_connections(PluginUnderTest& p) {
  auto open = make_event<nq_connection_event>();
  for (const uint64_t id : {11u, 12u, 13u}) {
    open.connection_id = id;
    p.fire_connection_open(open);
  }
  auto close = make_event<nq_connection_event>();
  close.connection_id = 13;
  close.duration_ns = 5 * kS;
  p.fire_connection_close(close);
  for (const std::string_view reason : {"max_connections", "tls", "max_connections"}) {
    auto error = make_event<nq_connection_error_event>();
    error.reason = to_nq_str(reason);
    p.fire_connection_error(error);
  }
}

void fire_locks(PluginUnderTest& p) {
  struct Wait {
    nq_lock_type type;
    uint64_t wait_ns;
    bool acquired;
    std::string_view resource;
  };
  // The resources with \ and " show the label escaping of each format.
  const Wait waits[] = {
      {NQ_LOCK_EXCLUSIVE, 3 * kMs, true, "table:orders"},           // le="0.005"
      {NQ_LOCK_SHARED, 200 * kUs, true, "row:accounts\\17"},        // le="0.0005"
      {NQ_LOCK_INTENT_EXCLUSIVE, 2 * kS, false, "table:orders"},    // le="5"
      {NQ_LOCK_EXCLUSIVE, 30 * kMs, true, "table:\"Order Lines\""}  // le="0.05"
  };
  for (const Wait& w : waits) {
    auto e = make_event<nq_lock_wait_event>();
    e.lock_type = w.type;
    e.wait_ns = w.wait_ns;
    e.acquired = w.acquired ? 1 : 0;
    e.resource = to_nq_str(w.resource);
    p.fire_lock_wait_end(e);
  }
  auto deadlock = make_event<nq_deadlock_event>();
  deadlock.participants = 2;
  deadlock.victim_query_id = 3;
  p.fire_deadlock(deadlock);
}

void fire_storage(PluginUnderTest& p) {
  auto pages = make_event<nq_buffer_event>();
  pages.pages = 120;
  p.fire_buffer_hit(pages);
  pages.pages = 8;
  p.fire_buffer_miss(pages);
  auto eviction = make_event<nq_buffer_eviction_event>();
  eviction.pages = 3;
  p.fire_buffer_eviction(eviction);
  eviction.pages = 2;
  eviction.dirty = 1;
  p.fire_buffer_eviction(eviction);

  auto io = make_event<nq_disk_io_event>();
  io.bytes = 8192;
  io.duration_ns = 150 * kUs;
  p.fire_disk_read(io);
  io.bytes = 16384;
  io.duration_ns = 400 * kUs;
  p.fire_disk_write(io);

  auto wal = make_event<nq_wal_write_event>();
  wal.bytes = 4096;
  p.fire_wal_write(wal);
  auto segment = make_event<nq_wal_segment_event>();
  segment.segment_number = 7;
  p.fire_wal_segment(segment);
  auto fsync = make_event<nq_wal_fsync_event>();
  fsync.duration_ns = 800 * kUs;  // le="0.001"
  p.fire_wal_fsync(fsync);
  fsync.duration_ns = 30 * kMs;  // le="0.05"
  p.fire_wal_fsync(fsync);
}

void fire_indexes(PluginUnderTest& p) {
  const std::pair<std::string_view, std::string_view> indexes[] = {
      {"orders", "orders_pkey"}, {"accounts", "accounts_email_idx"}, {"orders", "orders_tmp_idx"}};
  for (const auto& [table, index] : indexes) {
    auto e = make_event<nq_index_event>();
    e.table = to_nq_str(table);
    e.index = to_nq_str(index);
    p.fire_index_created(e);
  }
  auto scan = make_event<nq_index_scan_event>();
  scan.table = to_nq_str("orders");
  scan.index = to_nq_str("orders_pkey");
  scan.hit = 1;
  scan.rows_read = 1;
  p.fire_index_scan(scan);
  scan.rows_read = 25;
  p.fire_index_scan(scan);
  scan.table = to_nq_str("accounts");
  scan.index = to_nq_str("accounts_email_idx");
  scan.hit = 0;
  scan.rows_read = 0;
  p.fire_index_scan(scan);
  auto dropped = make_event<nq_index_event>();
  dropped.table = to_nq_str("orders");
  dropped.index = to_nq_str("orders_tmp_idx");
  p.fire_index_dropped(dropped);
}

void fire_websocket(PluginUnderTest& p) {
  auto connect = make_event<nq_ws_connection_event>();
  for (const uint64_t id : {101u, 102u}) {
    connect.connection_id = id;
    p.fire_ws_connect(connect);
  }
  auto send = make_event<nq_ws_message_event>();
  send.connection_id = 101;
  send.bytes = 256;
  send.latency_ns = 300 * kUs;  // le="0.0005"
  send.channel = to_nq_str("orders.updates");
  p.fire_ws_send(send);
  send.bytes = 1024;
  send.latency_ns = 20 * kMs;  // le="0.025"
  p.fire_ws_send(send);
  auto receive = make_event<nq_ws_message_event>();
  receive.connection_id = 101;
  receive.bytes = 64;
  receive.channel = to_nq_str("orders.updates");
  p.fire_ws_receive(receive);

  auto drop = make_event<nq_ws_drop_event>();
  drop.connection_id = 102;
  drop.reason = NQ_WS_DROP_QUEUE_FULL;
  drop.messages = 5;
  p.fire_ws_drop(drop);
  drop.reason = NQ_WS_DROP_BACKPRESSURE;
  drop.messages = 2;
  p.fire_ws_drop(drop);

  auto channel = make_event<nq_ws_channel_event>();
  channel.connection_id = 101;
  channel.channel = to_nq_str("orders.updates");
  channel.subscribers = 1;
  p.fire_ws_subscribe(channel);
  channel.connection_id = 102;
  channel.subscribers = 2;
  p.fire_ws_subscribe(channel);
  channel.channel = to_nq_str("prices");
  channel.subscribers = 1;
  p.fire_ws_subscribe(channel);
  channel.subscribers = 0;
  p.fire_ws_unsubscribe(channel);

  auto stream = make_event<nq_ws_stream_event>();
  stream.stream_id = 7;
  stream.connection_id = 101;
  p.fire_ws_stream_start(stream);
  stream.stream_id = 8;
  p.fire_ws_stream_start(stream);
  stream.stream_id = 7;
  stream.rows = 1000;
  stream.duration_ns = 2 * kS;  // le="5"
  p.fire_ws_stream_end(stream);

  auto backpressure = make_event<nq_ws_backpressure_event>();
  backpressure.connection_id = 101;
  backpressure.paused = 1;
  p.fire_ws_backpressure(backpressure);
  backpressure.connection_id = 102;
  p.fire_ws_backpressure(backpressure);
  backpressure.paused = 0;
  p.fire_ws_backpressure(backpressure);

  auto disconnect = make_event<nq_ws_disconnect_event>();
  disconnect.connection_id = 102;
  disconnect.reason = NQ_WS_DISCONNECT_TIMEOUT;
  disconnect.duration_ns = 60 * kS;
  p.fire_ws_disconnect(disconnect);
}

void fire_gauges_errors_quantum(PluginUnderTest& p) {
  const std::pair<nq_gauge, double> gauges[] = {
      {NQ_GAUGE_MEMORY_USAGE_BYTES, 536870912},
      {NQ_GAUGE_MEMORY_LIMIT_BYTES, 2147483648},
      {NQ_GAUGE_BUFFER_POOL_FREE_PAGES, 1000},
      {NQ_GAUGE_BUFFER_POOL_CLEAN_PAGES, 2500},
      {NQ_GAUGE_BUFFER_POOL_DIRTY_PAGES, 96},
      {NQ_GAUGE_CONNECTIONS_MAX, 200},
      {NQ_GAUGE_WEBSOCKET_CHANNELS, 2},
      {NQ_GAUGE_STORAGE_FREE_BYTES, 107374182400},
      {NQ_GAUGE_STORAGE_SIZE_BYTES, 536870912000.5},
  };
  for (const auto& [gauge, value] : gauges) {
    auto e = make_event<nq_gauge_sample_event>();
    e.gauge = gauge;
    e.value = value;
    p.fire_gauge_sample(e);
  }
  const std::pair<std::string_view, std::string_view> errors[] = {
      {"storage", "checksum_mismatch"}, {"network", "connection_reset"}, {"storage", "enospc"}};
  for (const auto& [subsystem, type] : errors) {
    auto e = make_event<nq_error_event>();
    e.subsystem = to_nq_str(subsystem);
    e.error_type = to_nq_str(type);
    p.fire_error(e);
  }
  auto quantum = make_event<nq_quantum_operation_event>();
  quantum.operation = to_nq_str("grover_search");
  quantum.succeeded = 1;
  quantum.duration_ns = 40 * kMs;  // le="0.05"
  p.fire_quantum_operation(quantum);
  quantum.operation = to_nq_str("annealing");
  quantum.succeeded = 0;
  quantum.duration_ns = 2 * kS;  // le="5"
  p.fire_quantum_operation(quantum);
}

void fire_script(PluginUnderTest& p) {
  fire_connections(p);
  fire_queries(p);
  fire_locks(p);
  fire_storage(p);
  fire_indexes(p);
  fire_websocket(p);
  fire_gauges_errors_quantum(p);
}

// ---- Masking ---------------------------------------------------------------

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Whether the value of the sample `name{labels}` depends on the process, the
// machine or the wall clock (see the comment at the top).
bool is_masked(std::string_view name, std::string_view labels) {
  if (starts_with(name, "process_")) return true;
  if (name == "neuroquantum_plugin_start_time_seconds") return true;
  if (name.ends_with("_created")) return true;
  if (starts_with(name, "neuroquantum_plugin_http_connections_")) return true;
  constexpr std::string_view kScrape = "neuroquantum_plugin_scrape_duration_seconds";
  if (name == std::string(kScrape) + "_sum") return true;
  if (name == std::string(kScrape) + "_bucket") {
    return labels.find("le=\"+Inf\"") == std::string_view::npos;
  }
  return false;
}

// The exposition with the values of masked samples replaced; comment lines
// and every other byte are kept.
std::string mask(const std::string& exposition) {
  std::string out;
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l = line;
    if (!l.empty() && l.front() != '#') {
      const size_t name_end = l.find_first_of("{ ");
      const std::string_view name = l.substr(0, name_end);
      // Label values may hold spaces and braces: the value follows the last
      // '}' when there are labels, else the first space.
      size_t value_at = name_end;
      std::string_view labels;
      if (name_end != std::string_view::npos && l[name_end] == '{') {
        const size_t close = l.rfind('}');
        labels = l.substr(name_end, close - name_end + 1);
        value_at = close + 1;
      }
      if (value_at != std::string_view::npos && value_at < l.size() && l[value_at] == ' ' &&
          is_masked(name, labels)) {
        line = std::string(l.substr(0, value_at + 1)) + std::string(kMasked);
      }
    }
    out += line;
    if (!in.eof()) out += '\n';
  }
  return out;
}

// protoc's text of a protobuf family with the values of masked series
// replaced as mask() does (a bucket's series is known from the upper_bound
// line after its count).
std::string mask_decoded(const std::string& decoded) {
  std::vector<std::string> lines;
  std::istringstream in(decoded);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string family, out;
  const auto field = [](std::string_view l, std::string_view name) {
    return starts_with(l, name) && l.size() > name.size() && l[name.size()] != '"';
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string& line = lines[i];
    const size_t indent = line.find_first_not_of(' ');
    const std::string_view l =
        indent == std::string::npos ? std::string_view{} : std::string_view(line).substr(indent);
    std::string series, labels;
    if (indent == 0 && starts_with(l, "name: \"")) {
      family = std::string(l.substr(7, l.size() - 8));
    } else if (field(l, "value: ")) {
      series = family;
    } else if (field(l, "sample_sum: ")) {
      series = family + "_sum";
    } else if (field(l, "sample_count: ")) {
      series = family + "_count";
    } else if (field(l, "cumulative_count: ")) {
      series = family + "_bucket";
      const bool inf = i + 1 < lines.size() && lines[i + 1].ends_with("upper_bound: inf");
      labels = inf ? "{le=\"+Inf\"}" : "{le=\"finite\"}";
    }
    // Where the one scrape duration falls among the native buckets.
    const bool scrape_bucket =
        family == "neuroquantum_plugin_scrape_duration_seconds" && field(l, "offset: ");
    if ((!series.empty() && is_masked(series, labels)) || scrape_bucket) {
      line = line.substr(0, line.find(": ") + 2) + std::string(kMasked);
    }
    out += line;
    out += '\n';
  }
  return out;
}

// ---- Diff ------------------------------------------------------------------

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start) + "  (no newline at end)");
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// A unified diff (3 lines of context, @@ -line,count +line,count @@ hunks)
// from a longest common subsequence; at most `max_lines` lines.
std::string unified_diff(const std::string& expected, const std::string& actual,
                         const std::string& expected_name, const std::string& actual_name,
                         size_t max_lines = 120) {
  const auto a = split_lines(expected);
  const auto b = split_lines(actual);
  const size_t n = a.size(), m = b.size();
  // lcs[i][j]: longest common subsequence of a[i..] and b[j..].
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  struct Op {
    char kind;  // ' ', '-', '+'
    size_t ai, bi;
  };
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i++, j});  // removals first, as diff -u shows them
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  constexpr size_t kContext = 3;
  std::ostringstream out;
  out << "--- " << expected_name << "\n+++ " << actual_name << "\n";
  size_t written = 2;
  for (size_t k = 0; k < ops.size();) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from kContext before this change to kContext after the last
    // change that is at most 2 * kContext unchanged lines further.
    const size_t first = k >= kContext ? k - kContext : 0;
    size_t last = k;
    for (size_t q = k; q < ops.size(); ++q) {
      if (ops[q].kind != ' ') {
        last = q;
      } else if (q - last > 2 * kContext) {
        break;
      }
    }
    const size_t end = std::min(ops.size(), last + kContext + 1);
    size_t a_count = 0, b_count = 0;
    for (size_t q = first; q < end; ++q) {
      if (ops[q].kind != '+') ++a_count;
      if (ops[q].kind != '-') ++b_count;
    }
    out << "@@ -" << ops[first].ai + 1 << "," << a_count << " +" << ops[first].bi + 1 << ","
        << b_count << " @@\n";
    for (size_t q = first; q < end; ++q) {
      if (++written > max_lines) {
        out << "... (diff truncated)\n";
        return out.str();
      }
      const Op& op = ops[q];
      out << op.kind << (op.kind == '+' ? b[op.bi] : a[op.ai]) << "\n";
    }
    k = end;
  }
  return out.str();
}

// ---- The test --------------------------------------------------------------

std::string golden_path(std::string_view file) {
  return std::string(NQ_GOLDEN_DIR) + "/" + std::string(file);
}

bool update_requested() {
  const char* v = std::getenv("NQ_UPDATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

// /metrics of a freshly loaded golden plugin after the script, with `accept`.
nq::testing::HttpReply scrape_after_script(const std::string& accept) {
  // Native buckets on: the protobuf file shows them; the text formats cannot
  // carry them and are the same either way.
  PluginUnderTest plugin(
      nq::testing::Settings{{"slow_query_seconds", "1"}, {"native_histograms", "true"}});
  std::string error;
  if (!plugin.load(NQ_GOLDEN_PLUGIN_PATH, error)) {
    ADD_FAILURE() << "loading the golden plugin: " << error;
    return {};
  }
  fire_script(plugin);
  // One scrape before, so that the scrape duration histogram has an
  // observation (its count is part of the file, its buckets are masked).
  plugin.scrape();
  std::string head = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close";
  if (!accept.empty()) head += "\r\nAccept: " + accept;
  auto reply = nq::testing::http_exchange("127.0.0.1", plugin.port(), head);
  plugin.unload();
  return reply;
}

void check_against_golden(std::string_view file, const std::string& accept,
                          std::string_view content_type,
                          const std::function<std::string(const std::string&)>& masked = mask) {
  const auto reply = scrape_after_script(accept);
  ASSERT_EQ(reply.status, 200) << reply.error;
  EXPECT_NE(reply.headers.find(content_type), std::string::npos) << reply.headers;
  const std::string actual = masked(reply.body);
  const std::string path = golden_path(file);

  if (update_requested()) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    ASSERT_TRUE(out.good()) << "could not write " << path;
    std::cout << "NQ_UPDATE_GOLDEN=1: wrote " << path << " (" << actual.size()
              << " bytes); review it with git diff\n";
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "no golden file " << path
                         << "; create it with NQ_UPDATE_GOLDEN=1 (see the top of " << __FILE__
                         << ")";
  std::ostringstream expected;
  expected << in.rdbuf();
  if (expected.str() == actual) return;
  ADD_FAILURE() << "/metrics (" << content_type << ") differs from " << path
                << " after masking.\nIf the change is intended, update the file with "
                   "NQ_UPDATE_GOLDEN=1 and review the diff.\n"
                << unified_diff(expected.str(), actual, std::string(file) + " (golden)",
                                std::string(file) + " (scraped)");
}

TEST(GoldenExposition, TextMatchesGoldenFile) {
  check_against_golden("metrics.prom", "", "text/plain; version=0.0.4; charset=utf-8");
}

TEST(GoldenExposition, OpenMetricsMatchesGoldenFile) {
  check_against_golden("metrics.openmetrics", "application/openmetrics-text; version=1.0.0",
                       "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

// Every family of a protobuf body decoded by protoc, masked; one blank line
// between families.
std::string decode_and_mask(const std::string& body) {
  std::string error;
  const auto messages = nq::testing::split_delimited(body, error);
  if (!error.empty()) {
    ADD_FAILURE() << error;
    return {};
  }
  char dir[] = "/tmp/nq-golden-protobuf-XXXXXX";
  if (::mkdtemp(dir) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return {};
  }
  std::string out;
  for (const std::string& message : messages) {
    const auto decoded = nq::testing::protoc_decode_family(message, dir, error);
    if (!decoded) {
      ADD_FAILURE() << error;
      break;
    }
    if (!out.empty()) out += '\n';
    out += mask_decoded(*decoded);
  }
  std::filesystem::remove_all(dir);
  return out;
}

TEST(GoldenExposition, ProtobufDecodedByProtocMatchesGoldenFile) {
  check_against_golden("metrics.protobuf.txt",
                       "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                       "encoding=delimited",
                       "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; "
                       "encoding=delimited",
                       decode_and_mask);
}

// The masking itself: values only, names and labels kept, nothing else touched.
TEST(GoldenExposition, MaskingReplacesOnlyProcessAndClockValues) {
  const std::string in =
      "# HELP process_open_fds Number of open file descriptors.\n"
      "process_open_fds 12\n"
      "neuroquantum_plugin_start_time_seconds 1764023456.25\n"
      "neuroquantum_queries_created{query_type=\"select\",status=\"success\"} 1764023456.25\n"
      "neuroquantum_plugin_scrape_duration_seconds_bucket{le=\"0.001\"} 1\n"
      "neuroquantum_plugin_scrape_duration_seconds_bucket{le=\"+Inf\"} 1\n"
      "neuroquantum_plugin_scrape_duration_seconds_sum 0.000123\n"
      "neuroquantum_plugin_scrape_duration_seconds_count 1\n"
      "neuroquantum_query_digest_info{digest=\"d\",query=\"a} b {c\"} 1\n"
      "neuroquantum_queries_total{query_type=\"select\",status=\"success\"} 2\n";
  EXPECT_EQ(mask(in),
            "# HELP process_open_fds Number of open file descriptors.\n"
            "process_open_fds <masked>\n"
            "neuroquantum_plugin_start_time_seconds <masked>\n"
            "neuroquantum_queries_created{query_type=\"select\",status=\"success\"} <masked>\n"
            "neuroquantum_plugin_scrape_duration_seconds_bucket{le=\"0.001\"} <masked>\n"
            "neuroquantum_plugin_scrape_duration_seconds_bucket{le=\"+Inf\"} 1\n"
            "neuroquantum_plugin_scrape_duration_seconds_sum <masked>\n"
            "neuroquantum_plugin_scrape_duration_seconds_count 1\n"
            "neuroquantum_query_digest_info{digest=\"d\",query=\"a} b {c\"} 1\n"
            "neuroquantum_queries_total{query_type=\"select\",status=\"success\"} 2\n");
}

TEST(GoldenExposition, ProtobufMaskingReplacesOnlyProcessAndClockValues) {
  const std::string in =
      "name: \"neuroquantum_plugin_scrape_duration_seconds\"\n"
      "type: HISTOGRAM\n"
      "metric {\n"
      "  histogram {\n"
      "    sample_count: 1\n"
      "    sample_sum: 0.000123\n"
      "    bucket {\n"
      "      cumulative_count: 1\n"
      "      upper_bound: 0.001\n"
      "    }\n"
      "    bucket {\n"
      "      cumulative_count: 1\n"
      "      upper_bound: inf\n"
      "    }\n"
      "  }\n"
      "}\n";
  const std::string out = mask_decoded(in);
  EXPECT_NE(out.find("sample_count: 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("sample_sum: <masked>\n"), std::string::npos) << out;
  EXPECT_NE(out.find("cumulative_count: <masked>\n      upper_bound: 0.001\n"), std::string::npos)
      << out;
  EXPECT_NE(out.find("cumulative_count: 1\n      upper_bound: inf\n"), std::string::npos) << out;
  const std::string labelled =
      "name: \"process_open_fds\"\nmetric {\n  label {\n    name: \"x\"\n    value: \"y\"\n  }\n"
      "  gauge {\n    value: 12\n  }\n}\n";
  EXPECT_EQ(
      mask_decoded(labelled),
      "name: \"process_open_fds\"\nmetric {\n  label {\n    name: \"x\"\n    value: \"y\"\n  }\n"
      "  gauge {\n    value: <masked>\n  }\n}\n");
}

TEST(GoldenExposition, DiffShowsChangedLinesWithLineNumbers) {
  const std::string diff = unified_diff("a\nb\nc\nd\n", "a\nB\nc\nd\n", "old", "new");
  EXPECT_EQ(diff, "--- old\n+++ new\n@@ -1,4 +1,4 @@\n a\n-b\n+B\n c\n d\n");
}

}  // namespace
