// The C API of the host runtime (nq_host.h) on top of PluginLibrary and
// HookDispatcher. No exception leaves this file.
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "hook_dispatcher.hpp"
#include "nq/nq_host.h"
#include "plugin_library.hpp"

using nq::host::detail::Binding;
using nq::host::detail::HookDispatcher;
using nq::host::detail::LoadError;
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
};

void copy_message(const std::string& message, char* err, size_t err_cap) {
  if (err == nullptr || err_cap == 0) return;
  const size_t n = std::min(message.size(), err_cap - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

std::string plugin_name(const nq_plugin_descriptor& d) {
  return d.name.data != nullptr ? std::string(d.name.data, d.name.len) : std::string("?");
}

}  // namespace

struct nq_host {
  nq_host(const nq_host_options& options, uint32_t slots)
      : services(*options.services),
        quiesce_timeout(options.quiesce_timeout_ns != 0
                            ? std::chrono::nanoseconds(options.quiesce_timeout_ns)
                            : std::chrono::nanoseconds(kDefaultQuiesceTimeout)),
        dispatcher(slots) {
    services.struct_size = sizeof(nq_engine_services);
    services.thread_slots = slots;
  }

  nq_engine_services services;
  const std::chrono::nanoseconds quiesce_timeout;
  HookDispatcher dispatcher;
  mutable std::mutex lifecycle_mutex;  // guards `plugin`; serializes load/unload
  std::unique_ptr<LoadedPlugin> plugin;
};

namespace {

nq_status load_locked(nq_host& host, const std::string& path, LoadError& error) {
  auto loaded = std::make_unique<LoadedPlugin>();
  if (!loaded->library.open(path, host.services, error)) return error.status;
  const nq_plugin_descriptor& d = loaded->library.descriptor();

  char plugin_error[kPluginErrorCap] = {};
  nq_status status = d.create(&host.services, &loaded->instance, plugin_error, sizeof plugin_error);
  if (status != NQ_OK || loaded->instance == nullptr) {
    error = {NQ_ERR_CREATE_FAILED, "plugin '" + plugin_name(d) + "' (" + path +
                                       ") could not be created: " + plugin_error};
    loaded->library.close();
    return error.status;
  }
  status = d.start(loaded->instance, plugin_error, sizeof plugin_error);
  if (status != NQ_OK) {
    error = {NQ_ERR_START_FAILED,
             "plugin '" + plugin_name(d) + "' (" + path + ") failed to start: " + plugin_error};
    d.destroy(loaded->instance);
    loaded->library.close();
    return error.status;
  }
  loaded->binding = nq::host::detail::make_binding(*d.hooks, loaded->instance);
  host.plugin = std::move(loaded);
  host.dispatcher.publish(&host.plugin->binding);
  return NQ_OK;
}

nq_status unload_locked(nq_host& host) {
  if (!host.plugin) return NQ_ERR_NOT_LOADED;
  const bool quiet = host.dispatcher.replace(nullptr, host.quiesce_timeout);
  const nq_plugin_descriptor& d = host.plugin->library.descriptor();
  d.stop(host.plugin->instance);
  if (!quiet) {
    // A thread is still inside the plugin: keep its code and instance mapped.
    (void)host.plugin.release();
    return NQ_ERR_INTERNAL;
  }
  d.destroy(host.plugin->instance);
  host.plugin->library.close();
  host.plugin.reset();
  return NQ_OK;
}

}  // namespace

extern "C" {

nq_host* nq_host_create(const nq_host_options* options) {
  if (options == nullptr || options->struct_size < sizeof(nq_host_options) ||
      options->services == nullptr || options->services->struct_size < sizeof(nq_engine_services) ||
      options->thread_slots > NQ_HOST_MAX_THREAD_SLOTS) {
    return nullptr;
  }
  const uint32_t slots = options->thread_slots != 0 ? options->thread_slots : kDefaultThreadSlots;
  try {
    return new nq_host(*options, slots);
  } catch (...) {
    return nullptr;
  }
}

void nq_host_destroy(nq_host* host) {
  if (host == nullptr) return;
  {
    std::lock_guard lock(host->lifecycle_mutex);
    unload_locked(*host);
  }
  delete host;
}

nq_status nq_host_load(nq_host* host, const char* path, char* err, size_t err_cap) {
  LoadError error;
  try {
    if (host == nullptr || path == nullptr || path[0] == '\0') {
      error = {NQ_ERR_INVALID_ARGUMENT, "nq_host_load: host and path are required"};
    } else {
      std::lock_guard lock(host->lifecycle_mutex);
      if (host->plugin) {
        error = {NQ_ERR_INVALID_ARGUMENT, "a plugin is already loaded from '" +
                                              host->plugin->library.path() + "'; unload it first"};
      } else {
        load_locked(*host, path, error);
      }
    }
  } catch (const std::exception& e) {
    error = {NQ_ERR_INTERNAL, std::string("nq_host_load: ") + e.what()};
  } catch (...) {
    error = {NQ_ERR_INTERNAL, "nq_host_load: unknown failure"};
  }
  copy_message(error.message, err, err_cap);
  return error.status;
}

nq_status nq_host_unload(nq_host* host) {
  if (host == nullptr) return NQ_ERR_INVALID_ARGUMENT;
  std::lock_guard lock(host->lifecycle_mutex);
  return unload_locked(*host);
}

nq_status nq_host_plugin(const nq_host* host, nq_host_plugin_info* info) {
  if (host == nullptr || info == nullptr || info->struct_size < sizeof(nq_host_plugin_info)) {
    return NQ_ERR_INVALID_ARGUMENT;
  }
  std::lock_guard lock(host->lifecycle_mutex);
  if (!host->plugin) return NQ_ERR_NOT_LOADED;
  const nq_plugin_descriptor& d = host->plugin->library.descriptor();
  info->abi_version = d.abi_version;
  info->name = d.name;
  info->version = d.version;
  info->build_id = d.build_id;
  info->path = {host->plugin->library.path().data(), host->plugin->library.path().size()};
  return NQ_OK;
}

const char* nq_status_name(nq_status status) {
  switch (status) {
    case NQ_OK:
      return "NQ_OK";
    case NQ_ERR_INVALID_ARGUMENT:
      return "NQ_ERR_INVALID_ARGUMENT";
    case NQ_ERR_NOT_FOUND:
      return "NQ_ERR_NOT_FOUND";
    case NQ_ERR_LOAD_FAILED:
      return "NQ_ERR_LOAD_FAILED";
    case NQ_ERR_NO_ENTRY_POINT:
      return "NQ_ERR_NO_ENTRY_POINT";
    case NQ_ERR_ABI_MISMATCH:
      return "NQ_ERR_ABI_MISMATCH";
    case NQ_ERR_CREATE_FAILED:
      return "NQ_ERR_CREATE_FAILED";
    case NQ_ERR_START_FAILED:
      return "NQ_ERR_START_FAILED";
    case NQ_ERR_STATE_REJECTED:
      return "NQ_ERR_STATE_REJECTED";
    case NQ_ERR_BUFFER_TOO_SMALL:
      return "NQ_ERR_BUFFER_TOO_SMALL";
    case NQ_ERR_NOT_LOADED:
      return "NQ_ERR_NOT_LOADED";
    case NQ_ERR_INTERNAL:
      return "NQ_ERR_INTERNAL";
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
