// Loading one plugin file and checking that it speaks our ABI.
//
// Ownership: a PluginLibrary owns the loaded object (Boost.DLL) and keeps only
// raw function pointers from it, so unloading really unmaps it.
// Thread-safety: none; the host serializes every call.
#pragma once

#include <boost/dll/shared_library.hpp>
#include <string>

#include "nq/nq_plugin_abi.h"

namespace nq::host::detail {

class PluginLibrary {
 public:
  PluginLibrary() = default;
  ~PluginLibrary();
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;

  // Loads a private copy of `path` and asks its entry point for a descriptor.
  // Returns NQ_OK, or the status of the failure with its reason in `error`;
  // nothing stays loaded then.
  nq_status open(const std::string& path, const nq_engine_services& services, std::string& error);

  // Unmaps the file. The caller guarantees nothing from it is still in use.
  void close() noexcept;

  const nq_plugin_descriptor& descriptor() const { return *descriptor_; }
  const std::string& path() const { return path_; }
  // What the loader opened ("/proc/self/fd/N") and how /proc/self/maps names
  // the mapping ("/memfd:nq-plugin-PID-N (deleted)" without the suffix).
  const std::string& loaded_from() const { return loaded_from_; }
  const std::string& mapped_name() const { return mapped_name_; }

 private:
  boost::dll::shared_library library_;
  const nq_plugin_descriptor* descriptor_ = nullptr;  // the plugin's, or descriptor_copy_
  nq_plugin_descriptor descriptor_copy_{};
  std::string path_;
  std::string loaded_from_;
  std::string mapped_name_;
  int copy_fd_ = -1;
};

}  // namespace nq::host::detail
