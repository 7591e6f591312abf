// The C API of the host runtime (nq_host.h) on top of PluginLibrary and
// HookDispatcher. No exception leaves this file: every lifecycle entry runs
// its body through guarded().
//
// Error style (internal code): a function that can fail says so in its
// return value (nq_status here) and writes the reason into `std::string&
// error`, its last parameter, set only on failure.
//
// Thread-safety: see nq_host.h; the lifecycle mutex serializes
// load/reload/unload/destroy, dispatch is lock-free.
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hook_dispatcher.hpp"
#include "nq/nq_abi_cpp.hpp"
#include "nq/nq_host.h"
#include "plugin_library.hpp"

using nq::host::detail::Binding;
using nq::host::detail::HookDispatcher;
using nq::host::detail::PluginLibrary;

namespace {

constexpr uint32_t kDefaultThreadSlots = 64;
constexpr std::chrono::seconds kDefaultQuiesceTimeout{5};
constexpr size_t kPluginErrorCap = 512;

// One loaded, started plugin and the table the dispatcher calls.
struct LoadedPlugin {
  PluginLibrary library;
  nq_plugin_instance* instance = nullptr;
  Binding binding{};

  const nq_plugin_descriptor& descriptor() const { return library.descriptor(); }
  // (a descriptor of ABI 1.0 has none: the library reads it zero-filled)
  bool has_reload_finished() const { return descriptor().reload_finished != nullptr; }
  void report_reload(nq_status status, const std::string& message, const std::string& previous,
                     uint64_t pause_ns) const {
    if (!has_reload_finished()) return;
    const nq_reload_report report{sizeof(nq_reload_report), status, nq::to_nq_str(message),
                                  nq::to_nq_str(previous), pause_ns};
    descriptor().reload_finished(instance, &report);
  }
};

std::string plugin_name(const nq_plugin_descriptor& d) {
  return d.name.data != nullptr ? std::string(d.name.data, d.name.len) : std::string("?");
}

// Runs the body of a C entry point: `body` returns its result, and sets
// `error` when it fails; an exception becomes `on_exception` (NQ_ERR_INTERNAL
// for a status) with the reason "ENTRY: what" in `error`.
template <class Result, class Body>
Result guarded(const char* entry, std::string& error, Result on_exception, Body&& body) noexcept {
  const char* reason = "unknown failure";
  try {
    return body();
  } catch (const std::exception& e) {
    reason = e.what();
  } catch (...) {
  }
  try {
    error = std::string(entry) + ": " + reason;
  } catch (...) {
  }
  return on_exception;
}

// Engine services with every function set: the engine's, or a no-op where it
// left one NULL. Reads only the fields `given.struct_size` covers (nq_host_create
// checked it is at least the first version).
nq_engine_services complete_services(const nq_engine_services& given, uint32_t slots) {
  nq_engine_services local;
  nq_engine_services services =
      *nq::read_versioned(&given, NQ_FIRST_VERSION_SIZE(nq_engine_services), local);
  services.struct_size = sizeof(nq_engine_services);
  services.thread_slots = slots;
  if (services.log == nullptr) services.log = [](void*, nq_log_level, nq_str) {};
  if (services.monotonic_ns == nullptr) services.monotonic_ns = [](void*) -> uint64_t { return 0; };
  if (services.config_lookup == nullptr) {
    services.config_lookup = [](void*, nq_str, char*, size_t) -> int64_t { return -1; };
  }
  return services;
}

}  // namespace

struct nq_host {
  nq_host(const nq_host_options& options, uint32_t slots)
      : services(complete_services(*options.services, slots)),
        quiesce_timeout(options.quiesce_timeout_ns != 0
                            ? std::chrono::nanoseconds(options.quiesce_timeout_ns)
                            : std::chrono::nanoseconds(kDefaultQuiesceTimeout)),
        never_unload(options.unload_policy == NQ_HOST_NEVER_UNLOAD),
        dispatcher(slots) {}

  void log(nq_log_level level, const std::string& message) const {
    services.log(services.engine_context, level, nq::to_nq_str(message));
  }

  nq_engine_services services;  // complete: no NULL function
  const std::chrono::nanoseconds quiesce_timeout;
  const bool never_unload;
  HookDispatcher dispatcher;
  mutable std::mutex lifecycle_mutex;  // guards everything below; serializes load/reload/unload
  std::unique_ptr<LoadedPlugin> plugin;
  // Replaced or unloaded copies that must stay mapped (a thread was still
  // inside, or the never-unload policy); released with the host.
  std::vector<std::unique_ptr<LoadedPlugin>> resident;
  uint32_t reloads = 0;
};

namespace {

nq_status load_locked(nq_host& host, const std::string& path, std::string& error) {
  auto loaded = std::make_unique<LoadedPlugin>();
  if (const nq_status status = loaded->library.open(path, host.services, error); status != NQ_OK) {
    return status;
  }
  const nq_plugin_descriptor& d = loaded->library.descriptor();

  char plugin_error[kPluginErrorCap] = {};
  nq_status status = d.create(&host.services, &loaded->instance, plugin_error, sizeof plugin_error);
  if (status != NQ_OK || loaded->instance == nullptr) {
    error = "plugin '" + plugin_name(d) + "' (" + path + ") could not be created: " + plugin_error;
    loaded->library.close();
    return NQ_ERR_CREATE_FAILED;
  }
  status = d.start(loaded->instance, plugin_error, sizeof plugin_error);
  if (status != NQ_OK) {
    error = "plugin '" + plugin_name(d) + "' (" + path + ") failed to start: " + plugin_error;
    d.destroy(loaded->instance);
    loaded->library.close();
    return NQ_ERR_START_FAILED;
  }
  loaded->binding = nq::host::detail::make_binding(*d.hooks, loaded->instance);
  host.plugin = std::move(loaded);
  host.dispatcher.publish(&host.plugin->binding);
  return NQ_OK;
}

// Destroys and unmaps a copy no thread is inside any more; otherwise (or
// under the never-unload policy) keeps it mapped for the life of the host.
void retire(nq_host& host, std::unique_ptr<LoadedPlugin> copy, bool quiet) {
  if (quiet && !host.never_unload) {
    copy->descriptor().destroy(copy->instance);
    copy->library.close();
    return;
  }
  if (!quiet) {
    host.log(NQ_LOG_WARN, "plugin copy " + copy->library.mapped_name() +
                              " still had a thread inside after the quiesce timeout; it stays "
                              "mapped for the life of the engine");
  }
  host.resident.push_back(std::move(copy));
}

// Copies kept mapped outlive their host: a thread may still be inside one.
// They stay reachable here, so they are kept on purpose, not leaked.
void keep_for_life_of_process(std::vector<std::unique_ptr<LoadedPlugin>> copies) {
  if (copies.empty()) return;
  static std::mutex mutex;
  static auto* const kept = new std::vector<std::unique_ptr<LoadedPlugin>>();
  std::lock_guard lock(mutex);
  for (auto& copy : copies) kept->push_back(std::move(copy));
}

std::chrono::nanoseconds quiesce_timeout(const nq_host& host) {
  return host.never_unload ? std::chrono::nanoseconds(0) : host.quiesce_timeout;
}

nq_status unload_locked(nq_host& host) {
  if (!host.plugin) return NQ_ERR_NOT_LOADED;
  const bool quiet = host.dispatcher.replace(nullptr, quiesce_timeout(host));
  host.plugin->descriptor().stop(host.plugin->instance);
  retire(host, std::move(host.plugin), quiet);
  return quiet || host.never_unload ? NQ_OK : NQ_ERR_INTERNAL;
}

// Moves the state `from` exported (everything, or what changed since its last
// export) into `to`. Returns NQ_OK when either side keeps no state.
nq_status hand_over_state(const LoadedPlugin& from, const LoadedPlugin& to, std::string& error) {
  const nq_plugin_descriptor& f = from.descriptor();
  const nq_plugin_descriptor& t = to.descriptor();
  if (f.export_state == nullptr || t.import_state == nullptr) return NQ_OK;
  size_t len = 0;
  nq_status status = f.export_state(from.instance, nullptr, 0, &len);
  std::vector<char> state(len);
  if (status == NQ_ERR_BUFFER_TOO_SMALL) {
    status = f.export_state(from.instance, state.data(), state.size(), &len);
  }
  if (status != NQ_OK) {
    error =
        "the loaded copy could not export its state (" + std::string(nq_status_name(status)) + ")";
    return NQ_ERR_INTERNAL;
  }
  char plugin_error[kPluginErrorCap] = {};
  status = t.import_state(to.instance, state.data(), len, plugin_error, sizeof plugin_error);
  if (status != NQ_OK) {
    error = std::string("the new copy refused the state: ") + plugin_error;
    return NQ_ERR_STATE_REJECTED;
  }
  return NQ_OK;
}

nq_status reload_locked(nq_host& host, const std::string& path, std::string& error) {
  if (!host.plugin) return load_locked(host, path, error);
  LoadedPlugin& old = *host.plugin;
  auto refuse = [&](nq_status status, std::unique_ptr<LoadedPlugin> next) {
    if (next && next->instance != nullptr) next->descriptor().destroy(next->instance);
    if (next) next->library.close();
    host.log(NQ_LOG_ERROR, "plugin reload refused, the loaded copy keeps serving: " + error);
    old.report_reload(status, error, {}, 0);
    return status;
  };

  // 1. Stage the new copy beside the old one.
  auto next = std::make_unique<LoadedPlugin>();
  if (const nq_status status = next->library.open(path, host.services, error); status != NQ_OK) {
    return refuse(status, nullptr);
  }
  const nq_plugin_descriptor& d = next->descriptor();
  char plugin_error[kPluginErrorCap] = {};
  if (d.create(&host.services, &next->instance, plugin_error, sizeof plugin_error) != NQ_OK ||
      next->instance == nullptr) {
    next->instance = nullptr;
    error = "plugin '" + plugin_name(d) + "' (" + path + ") could not be created: " + plugin_error;
    return refuse(NQ_ERR_CREATE_FAILED, std::move(next));
  }
  if (const nq_status status = hand_over_state(old, *next, error); status != NQ_OK) {
    return refuse(status, std::move(next));
  }

  // 2-3. Switch the hooks; wait until no thread is inside the old copy.
  next->binding = nq::host::detail::make_binding(*d.hooks, next->instance);
  const auto swap_began = std::chrono::steady_clock::now();
  const bool quiet = host.dispatcher.replace(&next->binding, quiesce_timeout(host));
  const auto pause = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now() - swap_began);

  // 4. What the old copy counted since the first hand-over.
  std::string late;
  if (hand_over_state(old, *next, late) != NQ_OK) {
    host.log(NQ_LOG_ERROR, "plugin reload: events counted during the swap were lost: " + late);
  }

  // 5. The old copy stops serving; the new one serves the same socket.
  const std::string previous_build(nq::to_string_view(old.descriptor().build_id));
  old.descriptor().stop(old.instance);
  std::unique_ptr<LoadedPlugin> replaced = std::move(host.plugin);
  host.plugin = std::move(next);
  nq_status status = NQ_OK;
  if (d.start(host.plugin->instance, plugin_error, sizeof plugin_error) != NQ_OK) {
    status = NQ_ERR_START_FAILED;
    error = "plugin '" + plugin_name(d) + "' (" + path +
            ") failed to start after the swap; it counts but does not serve: " + plugin_error;
    host.log(NQ_LOG_ERROR, error);
  }

  // 6. Unmap the old copy.
  retire(host, std::move(replaced), quiet);
  ++host.reloads;
  host.plugin->report_reload(status, status != NQ_OK ? error : std::string(), previous_build,
                             static_cast<uint64_t>(pause.count()));
  return status;
}

}  // namespace

extern "C" {

nq_host* nq_host_create(const nq_host_options* options) {
  std::string error;  // no error buffer: a NULL host says it failed
  return guarded("nq_host_create", error, static_cast<nq_host*>(nullptr), [&]() -> nq_host* {
    nq_host_options local;
    options = nq::read_versioned(options, NQ_FIRST_VERSION_SIZE(nq_host_options), local);
    if (options == nullptr || options->services == nullptr ||
        options->services->struct_size < NQ_FIRST_VERSION_SIZE(nq_engine_services) ||
        options->thread_slots > NQ_HOST_MAX_THREAD_SLOTS) {
      return nullptr;
    }
    return new nq_host(*options,
                       options->thread_slots != 0 ? options->thread_slots : kDefaultThreadSlots);
  });
}

void nq_host_destroy(nq_host* host) {
  std::string error;  // no error buffer
  guarded("nq_host_destroy", error, NQ_ERR_INTERNAL, [&] {
    if (host == nullptr) return NQ_OK;
    {
      std::lock_guard lock(host->lifecycle_mutex);
      unload_locked(*host);
      keep_for_life_of_process(std::move(host->resident));
    }
    delete host;
    return NQ_OK;
  });
}

nq_status nq_host_reload(nq_host* host, const char* path, char* err, size_t err_cap) {
  std::string error;
  const nq_status status = guarded("nq_host_reload", error, NQ_ERR_INTERNAL, [&] {
    if (host == nullptr || path == nullptr || path[0] == '\0') {
      error = "nq_host_reload: host and path are required";
      return NQ_ERR_INVALID_ARGUMENT;
    }
    std::lock_guard lock(host->lifecycle_mutex);
    return reload_locked(*host, path, error);
  });
  nq::copy_message(status != NQ_OK ? error : std::string_view(), err, err_cap);
  return status;
}

nq_status nq_host_load(nq_host* host, const char* path, char* err, size_t err_cap) {
  std::string error;
  const nq_status status = guarded("nq_host_load", error, NQ_ERR_INTERNAL, [&] {
    if (host == nullptr || path == nullptr || path[0] == '\0') {
      error = "nq_host_load: host and path are required";
      return NQ_ERR_INVALID_ARGUMENT;
    }
    std::lock_guard lock(host->lifecycle_mutex);
    if (host->plugin) {
      error =
          "a plugin is already loaded from '" + host->plugin->library.path() + "'; unload it first";
      return NQ_ERR_INVALID_ARGUMENT;
    }
    return load_locked(*host, path, error);
  });
  if (status != NQ_OK && host != nullptr) {
    guarded("nq_host_load", error, NQ_ERR_INTERNAL, [&] {
      host->log(NQ_LOG_ERROR, error);
      return NQ_OK;
    });
  }
  nq::copy_message(status != NQ_OK ? error : std::string_view(), err, err_cap);
  return status;
}

nq_status nq_host_unload(nq_host* host) {
  std::string error;  // no error buffer
  return guarded("nq_host_unload", error, NQ_ERR_INTERNAL, [&] {
    if (host == nullptr) return NQ_ERR_INVALID_ARGUMENT;
    std::lock_guard lock(host->lifecycle_mutex);
    return unload_locked(*host);
  });
}

nq_status nq_host_plugin(const nq_host* host, nq_host_plugin_info* info) {
  std::string error;  // no error buffer
  return guarded("nq_host_plugin", error, NQ_ERR_INTERNAL, [&] {
    if (host == nullptr || info == nullptr ||
        info->struct_size < NQ_FIRST_VERSION_SIZE(nq_host_plugin_info)) {
      return NQ_ERR_INVALID_ARGUMENT;
    }
    std::lock_guard lock(host->lifecycle_mutex);
    if (!host->plugin) return NQ_ERR_NOT_LOADED;
    const nq_plugin_descriptor& d = host->plugin->library.descriptor();
    const auto& library = host->plugin->library;
    nq_host_plugin_info full{};
    full.abi_version = d.abi_version;
    full.name = d.name;
    full.version = d.version;
    full.build_id = d.build_id;
    full.path = nq::to_nq_str(library.path());
    full.loaded_from = nq::to_nq_str(library.loaded_from());
    full.mapped_name = nq::to_nq_str(library.mapped_name());
    full.reloads = host->reloads;
    full.resident_copies = static_cast<uint32_t>(host->resident.size());
    nq::write_versioned(full, info);
    return NQ_OK;
  });
}

// Cannot fail; the dispatch functions below are noexcept (HookDispatcher).
const char* nq_status_name(nq_status status) {
  switch (status) {
#define NQ_HOST_STATUS_CASE(name, value, doc) \
  case name:                                  \
    return #name;
    NQ_STATUS_LIST(NQ_HOST_STATUS_CASE)
#undef NQ_HOST_STATUS_CASE
    default:
      return "NQ_ERR_UNKNOWN";
  }
}

#define NQ_HOST_DEFINE_DISPATCH(name, event_type, doc)                           \
  void nq_host_##name(nq_host* host, const event_type* event) {                  \
    if (host != nullptr) host->dispatcher.dispatch<&nq_hook_table::name>(event); \
  }
NQ_HOOK_LIST(NQ_HOST_DEFINE_DISPATCH)
#undef NQ_HOST_DEFINE_DISPATCH

}  // extern "C"
