/*
 * The engine configuration of the small C engines of the tests: one setting,
 * listen = "127.0.0.1:0" (the plugin serves on a loopback port of the
 * kernel's choosing), as an nq_engine_services.config_lookup. C99, header
 * only; no state.
 */
#ifndef NQ_TESTS_LISTEN_ANYWHERE_CONFIG_H
#define NQ_TESTS_LISTEN_ANYWHERE_CONFIG_H

#include <stdint.h>
#include <string.h>

#include "nq/nq_plugin_abi.h"

static int64_t listen_anywhere_config(void* ctx, nq_str key, char* value, size_t cap) {
  static const char listen[] = "127.0.0.1:0";
  (void)ctx;
  if (key.len != 6 || memcmp(key.data, "listen", 6) != 0) return -1;
  memcpy(value, listen, cap < sizeof listen - 1 ? cap : sizeof listen - 1);
  return (int64_t)(sizeof listen - 1);
}

#endif
