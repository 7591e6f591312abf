#include "http/basic_auth.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <strings.h>

#include <cstring>
#include <memory>
#include <optional>

namespace nq::metrics {
namespace {

// Verifies nothing: spent on unknown users so that they cost a bcrypt too.
constexpr const char* kDummyHash = "$2b$10$vafeySfJkGYRzLf9CoKxP.JxmKcB5MN9WWTLaAXx9EssbR2pfbruu";

std::optional<std::string> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as decoded zero bytes.
  size_t len = static_cast<size_t>(n);
  for (size_t i = text.size(); i-- > 0 && text[i] == '=';) --len;
  out.resize(len);
  return out;
}

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // 32 KiB of scratch: not on the stack
  std::memset(data.get(), 0, sizeof(crypt_data));
  const char* result = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  return result != nullptr && std::strlen(result) == hash.size() &&
         CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
}

}  // namespace

BasicAuth::BasicAuth(std::map<std::string, std::string> users) : users_(std::move(users)) {}

bool BasicAuth::allows(std::string_view authorization) const {
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.size() <= kScheme.size() ||
      strncasecmp(authorization.data(), kScheme.data(), kScheme.size()) != 0) {
    return false;
  }
  const auto credentials = decode_base64(authorization.substr(kScheme.size()));
  if (!credentials) return false;
  const size_t colon = credentials->find(':');
  if (colon == std::string::npos) return false;
  const std::string user = credentials->substr(0, colon);
  const std::string password = credentials->substr(colon + 1);
  if (password.find('\0') != std::string::npos) return false;  // crypt() would cut it there

  const auto known = users_.find(user);
  if (known == users_.end()) {
    bcrypt_matches(password, kDummyHash);
    return false;
  }
  Digest digest{};
  unsigned int digest_len = 0;
  EVP_Digest(credentials->data(), credentials->size(), digest.data(), &digest_len, EVP_sha256(),
             nullptr);
  {
    std::lock_guard lock(mutex_);
    const auto cached = verified_.find(user);
    if (cached != verified_.end() &&
        CRYPTO_memcmp(cached->second.data(), digest.data(), digest.size()) == 0) {
      return true;
    }
  }
  if (!bcrypt_matches(password, known->second)) return false;
  std::lock_guard lock(mutex_);
  verified_[user] = digest;
  return true;
}

}  // namespace nq::metrics
