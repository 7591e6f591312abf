// The OpenSSL context of a tls_server_config (web_config.hpp).
//
// Thread-safety: make_tls_context() is a pure function of its arguments; the
// context it makes is shared read-only by the listener's sessions.
#pragma once

#include <optional>
#include <string>

#include "http/serving.hpp"
#include "http/web_config.hpp"

namespace nq::metrics::serving {

// The TLS context of a tls_server_config; nullopt with a message naming the
// file on failure.
std::optional<ssl::context> make_tls_context(const TlsServerConfig& config, std::string& error);

}  // namespace nq::metrics::serving
