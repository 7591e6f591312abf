// The web config in force for a connection: one immutable snapshot of TLS
// context, response headers, basic auth users and rate limit, built whole
// from a WebConfig. A connection takes the snapshot current when it was
// accepted (a shared_ptr copy) and uses it for its whole life: handshake,
// credentials and headers of every request. A reload of the web config
// makes a new snapshot for later connections; the old one lives on until
// its last connection ends.
//
// Thread-safety: immutable after build_web_security(), but for what is
// thread-safe by itself: BasicAuth's cache of verified passwords (its own
// mutex) and the rate limiter (lock-free). Every serving thread may read a
// snapshot at once, without a lock.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/basic_auth.hpp"
#include "http/rate_limit.hpp"
#include "http/tls_context.hpp"
#include "http/web_config.hpp"

namespace nq::metrics::serving {

struct WebSecurity {
  WebSecurity(std::unique_ptr<ServerTls> server_tls, const WebConfig& config,
              std::shared_ptr<RateLimiter> limiter)
      : tls(std::move(server_tls)),
        headers(config.headers),
        auth(config.basic_auth_users),
        rate_limiter(std::move(limiter)) {}

  const std::unique_ptr<ServerTls> tls;  // null: plain HTTP
  const std::vector<std::pair<std::string, std::string>> headers;
  const BasicAuth auth;
  const std::shared_ptr<RateLimiter> rate_limiter;  // null: no rate limit
};

// The snapshot of `config`. The rate limiter of `previous` (may be null) is
// kept when the limit is the same, so that a reload for another reason
// (a renewed certificate) does not refill the bucket. nullptr with a
// message naming the file OpenSSL rejected.
std::shared_ptr<const WebSecurity> build_web_security(const WebConfig& config,
                                                      const WebSecurity* previous,
                                                      std::string& error);

}  // namespace nq::metrics::serving
