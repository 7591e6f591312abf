// libnq_metrics' entry point, lifecycle and hook functions. The only symbol the
// library exports is nq_plugin_entry; everything else is hidden.
//
// Thread-safety: create/import/start/stop/export/destroy are called by the host
// one at a time. Hook functions run concurrently on engine threads and only
// touch the instance's EventRecorder (wait-free). No exception leaves here.
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "engine_log.hpp"
#include "event_recorder.hpp"
#include "exposition.hpp"
#include "http_listener.hpp"
#include "plugin_settings.hpp"

namespace {

using namespace nq::metrics;

constexpr uint32_t kMaxExclusiveSlots = 256;

void copy_message(const std::string& message, char* err, size_t err_cap) noexcept {
  if (err == nullptr || err_cap == 0) return;
  const size_t n = std::min(message.size(), err_cap - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

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
  options.exclusive_slots = std::min(services.thread_slots, kMaxExclusiveSlots);
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

  // One scrape; its duration is observed for the next one to report.
  std::string render_metrics(ExpositionFormat format) {
    const auto began = std::chrono::steady_clock::now();
    std::string body = render(store.collect(identity), format);
    const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now() - began);
    store.observe(NQ_THREAD_SLOT_SHARED, FamilyId::plugin_scrape_duration_seconds, 0,
                  static_cast<uint64_t>(took.count()));
    return body;
  }

  const nq_engine_services& services;
  Settings settings;
  std::shared_ptr<spdlog::logger> log;
  MetricStore store;
  EventRecorder recorder;
  PluginIdentity identity;
  std::unique_ptr<HttpListener> listener;
};

namespace {

nq_status create(const nq_engine_services* services, nq_plugin_instance** out, char* err,
                 size_t err_cap) {
  if (services == nullptr || out == nullptr || services->struct_size < sizeof(nq_engine_services)) {
    copy_message("create: engine services missing or too old", err, err_cap);
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
        [self](ExpositionFormat format) { return self->render_metrics(format); },
        "nq-metrics/" + self->identity.version, landing_page(self->identity)};
    auto listener =
        std::make_unique<HttpListener>(self->settings.listen, std::move(endpoints), self->log);
    std::string error;
    if (!listener->start(error)) {
      self->log->error("{}", error);
      copy_message(error, err, err_cap);
      return NQ_ERR_START_FAILED;
    }
    self->listener = std::move(listener);
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

#define NQ_METRICS_DEFINE_HOOK(name, event_type, doc)                   \
  void hook_##name(nq_plugin_instance* self, nq_thread_slot slot,       \
                   const event_type* event) noexcept {                  \
    self->recorder.count_hook(slot, HookId::name);                      \
    if (event != nullptr && event->struct_size >= sizeof(event_type)) { \
      self->recorder.on_##name(slot, *event);                           \
    }                                                                   \
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
    nullptr,  // import_state: hand-over of state arrives with hot reload
    &start,
    &stop,
    nullptr,  // export_state: idem
    &destroy,
    &kHooks,
};

}  // namespace

extern "C" NQ_PLUGIN_EXPORT const nq_plugin_descriptor* nq_plugin_entry(
    uint32_t engine_abi_version, const nq_engine_services* /*services*/) {
  if (NQ_ABI_MAJOR_OF(engine_abi_version) != NQ_ABI_VERSION_MAJOR) return nullptr;
  return &kDescriptor;
}
