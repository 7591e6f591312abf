// The label values of the listener's self-metrics, each list declared once:
// why a connection ended (neuroquantum_plugin_http_connections_closed_total
// {reason}) and the status codes answered (..._http_responses_total{code}).
// The listener (http/) reports with these enums; the catalogue labels with
// their names.
//
// Thread-safety: constants only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace nq::metrics {

// Why a connection ended, X(enumerator, label value):
//   finished     after its requests: closed by the client, by Connection: close,
//                or after answering a request that broke a limit
//   idle         keep-alive, no next request within the idle timeout
//   timeout      TLS handshake or request head not finished in time, or a
//                response the client did not take in time
//   evicted      the oldest connection still waiting for a request head,
//                closed to make room for a new one at the connection limit
//   limit        refused with 503: at the limit and none waiting to evict
//   tls_failure  the TLS handshake failed
//   stopping     closed by the listener's stop (reload, unload)
#define NQ_CONNECTION_END_LIST(X) \
  X(finished, "finished")         \
  X(idle, "idle")                 \
  X(timeout, "timeout")           \
  X(evicted, "evicted")           \
  X(limit, "limit")               \
  X(tls_failure, "tls_failure")   \
  X(stopping, "stopping")

enum class ConnectionEnd : uint8_t {
#define NQ_ENUMERATOR(id, label) id,
  NQ_CONNECTION_END_LIST(NQ_ENUMERATOR)
#undef NQ_ENUMERATOR
};

inline constexpr std::array kConnectionEndNames = {
#define NQ_LABEL(id, label) std::string_view(label),
    NQ_CONNECTION_END_LIST(NQ_LABEL)
#undef NQ_LABEL
};

// The status codes the listener answers with; anything else counts as "other".
inline constexpr std::array<uint16_t, 11> kResponseCodes = {200, 400, 401, 404, 405, 413,
                                                            414, 429, 431, 500, 503};
inline constexpr std::array<std::string_view, kResponseCodes.size() + 1> kResponseCodeNames = {
    "200", "400", "401", "404", "405", "413", "414", "429", "431", "500", "503", "other"};

// The series of `code` in kResponseCodeNames.
constexpr uint32_t response_code_series(unsigned code) {
  for (size_t i = 0; i < kResponseCodes.size(); ++i) {
    if (kResponseCodes[i] == code) return static_cast<uint32_t>(i);
  }
  return static_cast<uint32_t>(kResponseCodes.size());
}

}  // namespace nq::metrics
