// Basic-auth credentials for tests of the listener: bcrypt hashes as a web
// config holds them, and Authorization header values as a client sends them.
// Thread-safety: free functions, no shared state.
#pragma once

#include <string>

namespace nq::testing {

// A bcrypt hash ($2b$) of `password` at the lowest cost (fast), by libxcrypt.
std::string bcrypt_hash(const std::string& password);

// "Basic " + base64(user_and_password): an Authorization header's value.
std::string basic_authorization(const std::string& user_and_password);

}  // namespace nq::testing
