#include "plugin_library.hpp"

#include <dlfcn.h>

#include <cstddef>
#include <filesystem>
#include <system_error>
#include <type_traits>

namespace nq::host::detail {
namespace {

// Size of an ABI 1.0 descriptor: everything up to and including `hooks`.
constexpr uint32_t kMinDescriptorSize = offsetof(nq_plugin_descriptor, hooks) + sizeof(void*);

std::string version_text(uint32_t version) {
  return std::to_string(NQ_ABI_MAJOR_OF(version)) + "." + std::to_string(NQ_ABI_MINOR_OF(version));
}

bool fail(LoadError& error, nq_status status, std::string message) {
  error.status = status;
  error.message = std::move(message);
  return false;
}

// Checks the descriptor before any of its functions is called.
bool check_descriptor(const nq_plugin_descriptor* d, const std::string& path, LoadError& error) {
  if (d == nullptr) {
    return fail(error, NQ_ERR_ABI_MISMATCH,
                "plugin '" + path + "' refused to run with this engine (plugin ABI " +
                    version_text(NQ_ABI_VERSION) + "): its entry point returned no descriptor");
  }
  if (d->struct_size < kMinDescriptorSize) {
    return fail(error, NQ_ERR_ABI_MISMATCH,
                "plugin '" + path + "' returned a malformed descriptor (struct_size " +
                    std::to_string(d->struct_size) + ", expected at least " +
                    std::to_string(kMinDescriptorSize) + ")");
  }
  if (NQ_ABI_MAJOR_OF(d->abi_version) != NQ_ABI_VERSION_MAJOR) {
    return fail(error, NQ_ERR_ABI_MISMATCH,
                "plugin '" + path + "' was built for plugin ABI " + version_text(d->abi_version) +
                    " but this engine provides plugin ABI " + version_text(NQ_ABI_VERSION) +
                    " (the major versions must match)");
  }
  if (d->create == nullptr || d->start == nullptr || d->stop == nullptr || d->destroy == nullptr ||
      d->hooks == nullptr || d->hooks->struct_size < offsetof(nq_hook_table, query_begin)) {
    return fail(error, NQ_ERR_ABI_MISMATCH,
                "plugin '" + path +
                    "' returned a descriptor without create/start/stop/destroy or hook table");
  }
  return true;
}

}  // namespace

bool PluginLibrary::open(const std::string& path, const nq_engine_services& services,
                         LoadError& error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return fail(error, NQ_ERR_NOT_FOUND, "plugin file '" + path + "' does not exist");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail(error, NQ_ERR_NOT_FOUND, "plugin path '" + path + "' is not a regular file");
  }

  library_.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    // Boost.DLL reports only a generic code; the loader's own reason is clearer.
    const char* reason = dlerror();
    return fail(error, NQ_ERR_LOAD_FAILED,
                "cannot load plugin '" + path + "': " + (reason ? reason : ec.message()));
  }
  if (!library_.has(NQ_PLUGIN_ENTRY_SYMBOL)) {
    library_.unload();
    return fail(error, NQ_ERR_NO_ENTRY_POINT,
                "'" + path + "' is not an nq plugin: it does not export " NQ_PLUGIN_ENTRY_SYMBOL);
  }
  // A raw function pointer, not boost::dll::import (which would pin the library).
  const nq_plugin_entry_fn entry =
      &library_.get<std::remove_pointer_t<nq_plugin_entry_fn>>(NQ_PLUGIN_ENTRY_SYMBOL);
  const nq_plugin_descriptor* descriptor = entry(NQ_ABI_VERSION, &services);
  if (!check_descriptor(descriptor, path, error)) {
    library_.unload();
    return false;
  }
  descriptor_ = descriptor;
  path_ = path;
  return true;
}

void PluginLibrary::close() noexcept {
  descriptor_ = nullptr;
  library_.unload();
}

}  // namespace nq::host::detail
