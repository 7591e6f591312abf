// libnq_metrics' entry point, lifecycle and hook functions. The only symbol the
// library exports is nq_plugin_entry; everything else is hidden.
//
// Thread-safety: create/import/start/stop/export/destroy are called by the host
// one at a time. Hook functions run concurrently on engine threads and only
// touch the instance's EventRecorder (wait-free). No exception leaves here.
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "config/plugin_settings.hpp"
#include "entry/engine_log.hpp"
#include "expose/exposition.hpp"
#include "http/http_listener.hpp"
#include "nq/nq_abi_cpp.hpp"
#include "record/event_recorder.hpp"
#include "store/state_codec.hpp"

namespace {

using namespace nq::metrics;

// Series of the `result` label (plugin_reloads_total, plugin_web_config_reloads_total).
constexpr uint32_t kReloadSuccess = 0;
constexpr uint32_t kReloadFailure = 1;

using nq::copy_message;

std::string landing_page(const PluginIdentity& id) {
  return "<html><head><title>NeuroQuantumDB metrics</title></head><body>"
         "<h1>NeuroQuantumDB metrics</h1><p>nq_metrics " +
         id.version + " (build " + id.build_id + ", plugin ABI " + id.abi_version +
         ")</p><ul><li><a href=\"/metrics\">/metrics</a></li>"
         "<li><a href=\"/-/healthy\">/-/healthy</a></li>"
         "<li><a href=\"/-/ready\">/-/ready</a></li></ul></body></html>\n";
}

StoreOptions store_options(const nq_engine_services& services, const Settings& settings) {
  StoreOptions options = settings.store;
  options.exclusive_slots = std::min<uint32_t>(services.thread_slots, NQ_MAX_THREAD_SLOTS);
  return options;
}

double unix_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The opaque instance type of the ABI, defined by this plugin.
struct nq_plugin_instance {
  nq_plugin_instance(const nq_engine_services& s, Settings st)
      : services(s),
        settings(std::move(st)),
        log(make_engine_logger(services, settings.log_level)),
        store(store_options(services, settings)),
        recorder(store, settings.recorder) {
    identity.version = NQ_METRICS_VERSION;
    identity.abi_version =
        std::to_string(NQ_ABI_VERSION_MAJOR) + "." + std::to_string(NQ_ABI_VERSION_MINOR);
    identity.build_id = NQ_METRICS_BUILD_ID;
    identity.counters_since_seconds = unix_time_now();
  }

  // One scrape, handed to `sink` (gzip, piece by piece, is in its duration);
  // its duration is observed for the next one to report.
  void render_metrics(ExpositionFormat format, const BodySink& sink) {
    const auto began = std::chrono::steady_clock::now();
    // The engine's clock is read on this scrape thread (services are for
    // the plugin's own threads): it dates the exemplars.
    const ScrapeClock clock{unix_time_now(), services.monotonic_ns != nullptr
                                                 ? services.monotonic_ns(services.engine_context)
                                                 : 0};
    render_in_pieces(store.collect(identity, clock).metrics(), format, sink);
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - began);
    store.observe(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_scrape_duration_seconds, 0,
                  static_cast<uint64_t>(took.count()));
  }

  ~nq_plugin_instance() {
    if (adopted_socket >= 0) ::close(adopted_socket);
  }

  const nq_engine_services services;  // a copy: an older engine's is read into a local
  Settings settings;
  std::shared_ptr<spdlog::logger> log;
  MetricStore store;
  EventRecorder recorder;
  PluginIdentity identity;
  std::unique_ptr<HttpListener> listener;
  // Hot reload: the listening socket handed over by the previous copy, until
  // start() serves it; and the state being exported, until the host takes it.
  int adopted_socket = -1;
  bool socket_handed_over = false;
  std::optional<std::string> pending_export;
};

namespace {

nq_status create(const nq_engine_services* given, nq_plugin_instance** out, char* err,
                 size_t err_cap) {
  nq_engine_services local;
  const nq_engine_services* services =
      nq::read_versioned(given, NQ_FIRST_VERSION_SIZE(nq_engine_services), local);
  if (services == nullptr || out == nullptr) {
    copy_message("create: engine services missing or malformed", err, err_cap);
    return NQ_ERR_INVALID_ARGUMENT;
  }
  try {
    std::string error;
    auto settings = read_settings(*services, error);
    if (!settings) {
      copy_message(error, err, err_cap);
      return NQ_ERR_CREATE_FAILED;
    }
    *out = new nq_plugin_instance(*services, std::move(*settings));
    return NQ_OK;
  } catch (const std::exception& e) {
    copy_message(std::string("create: ") + e.what(), err, err_cap);
    return NQ_ERR_CREATE_FAILED;
  }
}

nq_status start(nq_plugin_instance* self, char* err, size_t err_cap) {
  try {
    self->identity.start_time_seconds = unix_time_now();
    HttpEndpoints endpoints{
        [self](ExpositionFormat format, const BodySink& sink) {
          self->render_metrics(format, sink);
        },
        "nq-metrics/" + self->identity.version,
        landing_page(self->identity),
        [self] {
          self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_http_auth_failures_total, 0);
        },
        [self](uint32_t connections_open) {
          self->store.set(FamilyId::plugin_http_connections_open, 0, connections_open);
        },
        [self](unsigned status) {
          self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_http_responses_total,
                            response_code_series(status));
        },
        [self](ConnectionEnd why) {
          self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_http_connections_closed_total,
                            static_cast<uint32_t>(why));
        },
        [self](bool ok) {
          self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_web_config_reloads_total,
                            ok ? kReloadSuccess : kReloadFailure);
          self->store.set(FamilyId::plugin_web_config_last_reload_success, 0, ok ? 1 : 0);
        }};
    auto listener =
        std::make_unique<HttpListener>(self->settings.listen, self->settings.listener,
                                       self->settings.web, std::move(endpoints), self->log);
    std::string error;
    const int adopted = std::exchange(self->adopted_socket, -1);
    if (!listener->start(error, adopted)) {
      copy_message(error, err, err_cap);  // the host logs it, with the plugin's name
      return NQ_ERR_START_FAILED;
    }
    self->listener = std::move(listener);
    self->store.set(FamilyId::plugin_web_config_last_reload_success, 0, 1);
    self->log->info("nq_metrics {} (build {}) serving http://{}/metrics", self->identity.version,
                    self->identity.build_id, self->listener->bound_address().to_string());
    return NQ_OK;
  } catch (const std::exception& e) {
    copy_message(std::string("start: ") + e.what(), err, err_cap);
    return NQ_ERR_START_FAILED;
  }
}

void stop(nq_plugin_instance* self) {
  if (self->listener) {
    self->listener->stop();
    self->listener.reset();
    self->log->info("nq_metrics stopped serving");
  }
}

void destroy(nq_plugin_instance* self) {
  delete self;
}

// ---- Hot reload ------------------------------------------------------------
// The plugin's state: a header (format, build id, when the counters started,
// the listening socket for the next copy) and the metric store's records.

constexpr std::string_view kStateMagic = "NQMETRIC";
constexpr uint32_t kStateFormat = 1;

std::string encode_state(nq_plugin_instance& self) {
  StateWriter w;
  w.bytes() += kStateMagic;
  w.put(kStateFormat);
  w.put_string(self.identity.build_id);
  w.put(self.identity.counters_since_seconds);
  // The socket goes with the first export only: the new copy serves it once
  // this one has stopped, so that a scrape never finds the port closed.
  int socket = -1;
  if (!self.socket_handed_over && self.listener) {
    socket = self.listener->duplicate_socket();
    self.socket_handed_over = socket >= 0;
  }
  w.put(static_cast<int32_t>(socket));
  w.put_string(self.listener ? self.listener->bound_address().to_string() : std::string());
  w.put_string(self.store.export_state());
  return std::move(w.bytes());
}

nq_status export_state(nq_plugin_instance* self, void* state, size_t state_cap, size_t* state_len) {
  try {
    if (!self->pending_export) self->pending_export = encode_state(*self);
    if (state_len != nullptr) *state_len = self->pending_export->size();
    if (state == nullptr || state_cap < self->pending_export->size()) {
      return NQ_ERR_BUFFER_TOO_SMALL;
    }
    std::memcpy(state, self->pending_export->data(), self->pending_export->size());
    self->pending_export.reset();
    return NQ_OK;
  } catch (const std::exception& e) {
    self->log->error("exporting state failed: {}", e.what());
    return NQ_ERR_INTERNAL;
  }
}

// Takes the socket of the previous copy when it listens where this one would.
void adopt_socket(nq_plugin_instance& self, int socket, const std::string& address) {
  const ListenAddress& wanted = self.settings.listen;
  auto host_part = [](std::string_view a) { return a.substr(0, a.rfind(':')); };
  // Port 0 in the settings means "any port": the one already bound will do.
  const bool same = wanted.port != 0 ? address == wanted.to_string()
                                     : host_part(address) == host_part(wanted.to_string());
  if (same && self.adopted_socket < 0) {
    self.adopted_socket = socket;
  } else {
    ::close(socket);
  }
}

nq_status import_state(nq_plugin_instance* self, const void* state, size_t state_len, char* err,
                       size_t err_cap) {
  try {
    const std::string_view bytes(static_cast<const char*>(state), state == nullptr ? 0 : state_len);
    if (!bytes.starts_with(kStateMagic)) {
      copy_message("import_state: not a state of nq_metrics", err, err_cap);
      return NQ_ERR_STATE_REJECTED;
    }
    StateReader r(bytes.substr(kStateMagic.size()));
    const auto format = r.get<uint32_t>();
    if (r.ok() && format > kStateFormat) {
      copy_message("import_state: state format " + std::to_string(format) +
                       " is newer than this build reads (" + std::to_string(kStateFormat) + ")",
                   err, err_cap);
      return NQ_ERR_STATE_REJECTED;
    }
    const std::string_view previous_build = r.get_string();
    const auto counters_since = r.get<double>();
    const auto socket = r.get<int32_t>();
    const std::string_view address = r.get_string();
    const std::string_view store_state = r.get_string();
    std::string error = "the state is truncated";
    if (!r.ok() || !self->store.import_state(store_state, error)) {
      if (socket >= 0) ::close(socket);
      copy_message("import_state: " + error, err, err_cap);
      return NQ_ERR_STATE_REJECTED;
    }
    self->identity.counters_since_seconds =
        std::min(self->identity.counters_since_seconds, counters_since);
    if (socket >= 0) adopt_socket(*self, socket, std::string(address));
    self->log->debug("imported {} bytes of state from build {}", bytes.size(), previous_build);
    return NQ_OK;
  } catch (const std::exception& e) {
    copy_message(std::string("import_state: ") + e.what(), err, err_cap);
    return NQ_ERR_STATE_REJECTED;
  }
}

void reload_finished(nq_plugin_instance* self, const nq_reload_report* given) {
  nq_reload_report local;
  const nq_reload_report* report =
      nq::read_versioned(given, NQ_FIRST_VERSION_SIZE(nq_reload_report), local);
  if (report == nullptr) return;
  const std::string_view message = nq::to_string_view(report->message);
  if (report->status == NQ_OK) {
    self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_reloads_total, kReloadSuccess);
    self->log->info("reloaded: build {} took over from build {} ({} us pause)",
                    self->identity.build_id, nq::to_string_view(report->previous_build_id),
                    report->pause_ns / 1000);
  } else {
    // This copy keeps serving: it exports everything (and its socket) again
    // next time.
    self->store.reset_export();
    self->socket_handed_over = false;
    self->store.count(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_reloads_total, kReloadFailure);
    self->log->error("reload failed, this copy keeps serving: {}", message);
  }
}

// An event of an earlier ABI minor (smaller, but at least its first version)
// is read with the fields it lacks as 0; a smaller one is malformed.
#define NQ_METRICS_DEFINE_HOOK(name, event_type, doc)                                              \
  void hook_##name(nq_plugin_instance* self, nq_thread_slot slot,                                  \
                   const event_type* given) noexcept {                                             \
    self->recorder.count_hook(slot, HookId::name);                                                 \
    event_type local;                                                                              \
    const event_type* event = nq::read_versioned(given, NQ_FIRST_VERSION_SIZE(event_type), local); \
    if (event != nullptr) {                                                                        \
      self->recorder.on_##name(slot, *event);                                                      \
    } else {                                                                                       \
      self->recorder.count_malformed(slot, HookId::name);                                          \
    }                                                                                              \
  }
NQ_HOOK_LIST(NQ_METRICS_DEFINE_HOOK)
#undef NQ_METRICS_DEFINE_HOOK

constexpr nq_hook_table kHooks = {sizeof(nq_hook_table), 0,
#define NQ_METRICS_HOOK_ENTRY(name, event_type, doc) &hook_##name,
                                  NQ_HOOK_LIST(NQ_METRICS_HOOK_ENTRY)
#undef NQ_METRICS_HOOK_ENTRY
};

constexpr std::string_view kName = "nq_metrics";
constexpr std::string_view kVersion = NQ_METRICS_VERSION;
constexpr std::string_view kBuildId = NQ_METRICS_BUILD_ID;

const nq_plugin_descriptor kDescriptor = {
    sizeof(nq_plugin_descriptor),
    NQ_ABI_VERSION,
    {kName.data(), kName.size()},
    {kVersion.data(), kVersion.size()},
    {kBuildId.data(), kBuildId.size()},
    &create,
    &import_state,
    &start,
    &stop,
    &export_state,
    &destroy,
    &kHooks,
    &reload_finished,
};

}  // namespace

extern "C" NQ_PLUGIN_EXPORT const nq_plugin_descriptor* nq_plugin_entry(
    uint32_t engine_abi_version, const nq_engine_services* /*services*/) {
  if (NQ_ABI_MAJOR_OF(engine_abi_version) != NQ_ABI_VERSION_MAJOR) return nullptr;
  return &kDescriptor;
}
