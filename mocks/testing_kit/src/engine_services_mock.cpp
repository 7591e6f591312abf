#include "nq/testing/engine_services_mock.hpp"

#include <algorithm>
#include <cstring>

#include "nq/nq_abi_cpp.hpp"

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
    engine(context).Log(level, std::string(nq::to_string_view(message)));
  };
  services_.monotonic_ns = [](void* context) { return engine(context).MonotonicNs(); };
  services_.config_lookup = [](void* context, nq_str key, char* value,
                               size_t value_cap) -> int64_t {
    const auto found = engine(context).ConfigLookup(std::string(nq::to_string_view(key)));
    if (!found) return -1;
    std::memcpy(value, found->data(), std::min(value_cap, found->size()));
    return static_cast<int64_t>(found->size());
  };
}

}  // namespace nq::testing
