// The hooks of nq_plugin_abi.h as an enum and names, generated from NQ_HOOK_LIST.
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "nq/nq_plugin_abi.h"

namespace nq::metrics {

enum class HookId : uint32_t {
#define NQ_METRICS_HOOK_ENUM(name, event_type, doc) name,
  NQ_HOOK_LIST(NQ_METRICS_HOOK_ENUM)
#undef NQ_METRICS_HOOK_ENUM
};

inline constexpr std::array kHookNames = {
#define NQ_METRICS_HOOK_NAME(name, event_type, doc) std::string_view(#name),
    NQ_HOOK_LIST(NQ_METRICS_HOOK_NAME)
#undef NQ_METRICS_HOOK_NAME
};

inline constexpr uint32_t kHookCount = static_cast<uint32_t>(kHookNames.size());

}  // namespace nq::metrics
