#include "nq/testing/engine_services_mock.hpp"

#include <algorithm>
#include <cstring>

namespace nq::testing {
namespace {

MockEngineServices& engine(void* context) {
  return *static_cast<MockEngineServices*>(context);
}

}  // namespace

MockEngineServices::MockEngineServices(uint32_t thread_slots) {
  services_.struct_size = sizeof services_;
  services_.abi_version = NQ_ABI_VERSION;
  services_.engine_context = this;
  services_.thread_slots = thread_slots;
  services_.log = [](void* context, nq_log_level level, nq_str message) {
    engine(context).Log(level, std::string(message.data != nullptr ? message.data : "",
                                           message.data != nullptr ? message.len : 0));
  };
  services_.monotonic_ns = [](void* context) { return engine(context).MonotonicNs(); };
  services_.config_lookup = [](void* context, nq_str key, char* value,
                               size_t value_cap) -> int64_t {
    const auto found = engine(context).ConfigLookup(std::string(key.data, key.len));
    if (!found) return -1;
    std::memcpy(value, found->data(), std::min(value_cap, found->size()));
    return static_cast<int64_t>(found->size());
  };
}

}  // namespace nq::testing
