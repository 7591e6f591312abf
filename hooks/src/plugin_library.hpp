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

// An nq_status and the message that explains it.
struct LoadError {
  nq_status status = NQ_OK;
  std::string message;
};

class PluginLibrary {
 public:
  // Loads `path` and asks its entry point for a descriptor. On failure returns
  // false and fills `error`; nothing stays loaded.
  bool open(const std::string& path, const nq_engine_services& services, LoadError& error);

  // Unmaps the file. The caller guarantees nothing from it is still in use.
  void close() noexcept;

  const nq_plugin_descriptor& descriptor() const { return *descriptor_; }
  const std::string& path() const { return path_; }

 private:
  boost::dll::shared_library library_;
  const nq_plugin_descriptor* descriptor_ = nullptr;
  std::string path_;
};

}  // namespace nq::host::detail
