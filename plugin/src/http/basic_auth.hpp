// HTTP basic authentication against the bcrypt hashes of a web config
// (basic_auth_users), as exporter-toolkit does it.
//
// bcrypt is verified with libxcrypt's crypt_rn() (Debian's libcrypt, which
// knows $2a$, $2b$ and $2y$); the result is compared in constant time. bcrypt
// is slow on purpose (tens of ms at cost 10), so a password that verified is
// remembered per user as a SHA-256 digest and later requests with it are
// checked against that digest (constant time too): a scrape every few
// seconds costs a hash, not a bcrypt. An unknown user costs a bcrypt against
// a dummy hash, so timing does not tell which users exist.
//
// Thread-safety: allows() may be called from every serving thread at once
// (the cache is under a mutex, held only to look up or store a digest); the
// users are fixed at construction (a changed user list is a new BasicAuth).
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace nq::metrics {

class BasicAuth {
 public:
  explicit BasicAuth(std::map<std::string, std::string> users);

  bool enabled() const noexcept { return !users_.empty(); }
  // True when the value of an Authorization header ("Basic base64(user:pw)")
  // names a user and the right password.
  bool allows(std::string_view authorization) const;

 private:
  using Digest = std::array<unsigned char, 32>;
  const std::map<std::string, std::string> users_;  // user -> bcrypt hash
  mutable std::mutex mutex_;
  mutable std::map<std::string, Digest> verified_;  // user -> SHA-256 of "user:password"
};

}  // namespace nq::metrics
