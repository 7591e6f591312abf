#include "http/web_security.hpp"

namespace nq::metrics::serving {

std::shared_ptr<const WebSecurity> build_web_security(const WebConfig& config,
                                                      const WebSecurity* previous,
                                                      std::string& error) {
  std::unique_ptr<ServerTls> tls;
  if (config.tls) {
    tls = ServerTls::make(*config.tls, error);
    if (!tls) return nullptr;
  }
  std::shared_ptr<RateLimiter> limiter;
  if (config.rate_limit) {
    const bool same = previous != nullptr && previous->rate_limiter &&
                      previous->rate_limiter->limit() == *config.rate_limit;
    limiter = same ? previous->rate_limiter : std::make_shared<RateLimiter>(*config.rate_limit);
  }
  return std::make_shared<const WebSecurity>(std::move(tls), config, std::move(limiter));
}

}  // namespace nq::metrics::serving
