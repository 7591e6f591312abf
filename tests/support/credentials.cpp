#include "credentials.hpp"

#include <crypt.h>
#include <openssl/evp.h>

namespace nq::testing {

std::string bcrypt_hash(const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", 4, nullptr, 0, salt, sizeof salt) == nullptr) return {};
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), salt, &data, sizeof data);
  return hash != nullptr ? hash : "";
}

std::string basic_authorization(const std::string& user_and_password) {
  std::string encoded(4 * ((user_and_password.size() + 2) / 3) + 1, '\0');
  encoded.resize(static_cast<size_t>(
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                      reinterpret_cast<const unsigned char*>(user_and_password.data()),
                      static_cast<int>(user_and_password.size()))));
  return "Basic " + encoded;
}

}  // namespace nq::testing
