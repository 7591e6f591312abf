#include "plugin_library.hpp"

#include "nq/nq_abi_cpp.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>

#include <cstddef>
#include <filesystem>
#include <system_error>
#include <type_traits>

namespace nq::host::detail {
namespace {

constexpr uint32_t kMinDescriptorSize = NQ_FIRST_VERSION_SIZE(nq_plugin_descriptor);

std::string version_text(uint32_t version) {
  return std::to_string(NQ_ABI_MAJOR_OF(version)) + "." + std::to_string(NQ_ABI_MINOR_OF(version));
}

nq_status fail(std::string& error, nq_status status, std::string message) {
  error = std::move(message);
  return status;
}

// Checks the descriptor before any of its functions is called.
nq_status check_descriptor(const nq_plugin_descriptor* d, const std::string& path,
                           std::string& error) {
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
      d->hooks == nullptr || d->hooks->struct_size < NQ_FIRST_VERSION_SIZE(nq_hook_table)) {
    return fail(error, NQ_ERR_ABI_MISMATCH,
                "plugin '" + path +
                    "' returned a descriptor without create/start/stop/destroy or hook table");
  }
  return NQ_OK;
}

// Copies the file into an anonymous memory file, so that the loader maps a
// copy nobody else can replace and that glibc cannot confuse with an earlier
// load of the same path (it caches objects by path and inode). Returns the
// memory file's descriptor and its name, or -1 when the kernel has none.
int private_copy(const std::string& path, std::string& name) {
  static std::atomic<uint64_t> copies{0};
  name = "nq-plugin-" + std::to_string(getpid()) + "-" + std::to_string(++copies);
  const int copy = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (copy < 0) return -1;
  const int source = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  bool copied = source >= 0 && fstat(source, &st) == 0;
  for (off_t offset = 0; copied && offset < st.st_size;) {
    const ssize_t n = sendfile(copy, source, &offset, static_cast<size_t>(st.st_size - offset));
    copied = n > 0;
  }
  if (source >= 0) ::close(source);
  if (!copied) {
    ::close(copy);
    return -1;
  }
  return copy;
}

// The loader's reason, with the private copy's name replaced by the file's.
std::string loader_reason(const std::string& loaded_from, const std::string& path,
                          const std::error_code& ec) {
  const char* reason = dlerror();
  std::string text = reason != nullptr ? reason : ec.message();
  if (const auto at = text.find(loaded_from); at != std::string::npos && !loaded_from.empty()) {
    text.replace(at, loaded_from.size(), path);
  }
  return text;
}

}  // namespace

PluginLibrary::~PluginLibrary() {
  close();
}

nq_status PluginLibrary::open(const std::string& path, const nq_engine_services& services,
                              std::string& error) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return fail(error, NQ_ERR_NOT_FOUND, "plugin file '" + path + "' does not exist");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return fail(error, NQ_ERR_NOT_FOUND, "plugin path '" + path + "' is not a regular file");
  }

  std::string copy_name;
  copy_fd_ = private_copy(path, copy_name);
  // Without memfd (old kernel, seccomp) the file itself is loaded; replacing
  // it at the same path then needs a new path to be picked up by a reload.
  loaded_from_ = copy_fd_ >= 0 ? "/proc/self/fd/" + std::to_string(copy_fd_) : path;
  mapped_name_ = copy_fd_ >= 0 ? "/memfd:" + copy_name : path;
  library_.load(loaded_from_, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local,
                ec);
  if (ec) {
    // Boost.DLL reports only a generic code; the loader's own reason is clearer.
    const std::string reason = loader_reason(loaded_from_, path, ec);
    close();
    return fail(error, NQ_ERR_LOAD_FAILED, "cannot load plugin '" + path + "': " + reason);
  }
  if (!library_.has(NQ_PLUGIN_ENTRY_SYMBOL)) {
    close();
    return fail(error, NQ_ERR_NO_ENTRY_POINT,
                "'" + path + "' is not an nq plugin: it does not export " NQ_PLUGIN_ENTRY_SYMBOL);
  }
  // A raw function pointer, not boost::dll::import (which would pin the library).
  const nq_plugin_entry_fn entry =
      &library_.get<std::remove_pointer_t<nq_plugin_entry_fn>>(NQ_PLUGIN_ENTRY_SYMBOL);
  const nq_plugin_descriptor* descriptor = entry(NQ_ABI_VERSION, &services);
  if (const nq_status refused = check_descriptor(descriptor, path, error); refused != NQ_OK) {
    close();
    return refused;
  }
  // Read as the ABI promises: fields of later minors than the plugin's are 0.
  descriptor_ = nq::read_versioned(descriptor, kMinDescriptorSize, descriptor_copy_);
  path_ = path;
  return NQ_OK;
}

void PluginLibrary::close() noexcept {
  descriptor_ = nullptr;
  library_.unload();
  // Closed only after the unload: while the copy is mapped its descriptor
  // number, and so its /proc/self/fd name, cannot be given to another copy.
  if (copy_fd_ >= 0) ::close(copy_fd_);
  copy_fd_ = -1;
}

}  // namespace nq::host::detail
