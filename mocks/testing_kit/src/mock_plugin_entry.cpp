// libnq_mock_plugin.so: a plugin whose every hook forwards to the
// nq::testing::HookReceiver (a MockPlugin) named, by address in hex, by its
// setting "mock_plugin.target". Only in-process tests set that setting,
// through PluginUnderTest::load_mock(); without it, create() fails.
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "nq/nq_abi_cpp.hpp"
#include "nq/testing/hook_receiver.hpp"

struct nq_plugin_instance;  // is the HookReceiver

namespace {

using nq::testing::HookReceiver;

HookReceiver& receiver(nq_plugin_instance* self) {
  return *reinterpret_cast<HookReceiver*>(self);
}

nq_status create(const nq_engine_services* services, nq_plugin_instance** out, char* err,
                 size_t err_cap) {
  char value[32] = {};
  const std::string_view key = nq::testing::kMockPluginTargetSetting;
  const int64_t len = services != nullptr && services->config_lookup != nullptr
                          ? services->config_lookup(services->engine_context, nq::to_nq_str(key),
                                                    value, sizeof value)
                          : -1;
  uintptr_t address = 0;
  if (len <= 0 || len >= static_cast<int64_t>(sizeof value) ||
      std::from_chars(value, value + len, address, 16).ec != std::errc() || address == 0) {
    nq::copy_message(
        "mock plugin: no HookReceiver to forward to (load it with PluginUnderTest::load_mock)", err,
        err_cap);
    return NQ_ERR_CREATE_FAILED;
  }
  *out = reinterpret_cast<nq_plugin_instance*>(address);
  return NQ_OK;
}

nq_status start(nq_plugin_instance*, char*, size_t) {
  return NQ_OK;
}
void stop(nq_plugin_instance*) {}
void destroy(nq_plugin_instance*) {}

#define NQ_MOCK_PLUGIN_FORWARD(name, event_type, doc)                                           \
  void forward_##name(nq_plugin_instance* self, nq_thread_slot slot, const event_type* event) { \
    receiver(self).name(slot, event);                                                           \
  }
NQ_HOOK_LIST(NQ_MOCK_PLUGIN_FORWARD)
#undef NQ_MOCK_PLUGIN_FORWARD

constexpr nq_hook_table kHooks = {sizeof(nq_hook_table), 0,
#define NQ_MOCK_PLUGIN_ENTRY(name, event_type, doc) &forward_##name,
                                  NQ_HOOK_LIST(NQ_MOCK_PLUGIN_ENTRY)
#undef NQ_MOCK_PLUGIN_ENTRY
};

constexpr nq_plugin_descriptor kDescriptor = [] {
  nq_plugin_descriptor d{};
  d.struct_size = sizeof d;
  d.abi_version = NQ_ABI_VERSION;
  d.name = {"mock_plugin", 11};
  d.version = {"0.1.0", 5};
  d.build_id = {"testing-kit", 11};
  d.create = create;
  d.start = start;
  d.stop = stop;
  d.destroy = destroy;
  d.hooks = &kHooks;
  return d;
}();

}  // namespace

extern "C" NQ_PLUGIN_EXPORT const nq_plugin_descriptor* nq_plugin_entry(uint32_t,
                                                                        const nq_engine_services*) {
  return &kDescriptor;
}
