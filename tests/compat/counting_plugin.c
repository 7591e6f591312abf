/* A plugin built against the frozen ABI 1.1 header (tests/compat/abi-1.1), as
 * a third party built it the day 1.1 was released: it counts each hook call
 * it receives, and each event it would refuse (NULL, or smaller than the
 * event's first version), and at stop() logs one line
 *   "counting plugin: query_begin=N ... quantum_operation=N malformed=M"
 * that a test of a newer host compares with what it sent. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "nq/nq_plugin_abi.h"

struct nq_plugin_instance {
  nq_engine_services services;
#define NQ_COUNTING_FIELD(name, event_type, doc) atomic_ulong name;
  NQ_HOOK_LIST(NQ_COUNTING_FIELD)
#undef NQ_COUNTING_FIELD
  atomic_ulong malformed;
};

static struct nq_plugin_instance counting;

#define NQ_COUNTING_HOOK(name, event_type, doc)                                    \
  static void count_##name(nq_plugin_instance* self, nq_thread_slot slot,          \
                           const event_type* event) {                              \
    (void)slot;                                                                    \
    if (event == NULL || event->struct_size < NQ_FIRST_VERSION_SIZE(event_type)) { \
      atomic_fetch_add(&self->malformed, 1);                                       \
    } else {                                                                       \
      atomic_fetch_add(&self->name, 1);                                            \
    }                                                                              \
  }
NQ_HOOK_LIST(NQ_COUNTING_HOOK)
#undef NQ_COUNTING_HOOK

static const nq_hook_table hooks = {sizeof(nq_hook_table), 0,
#define NQ_COUNTING_ENTRY(name, event_type, doc) count_##name,
                                    NQ_HOOK_LIST(NQ_COUNTING_ENTRY)
#undef NQ_COUNTING_ENTRY
};

static nq_status counting_create(const nq_engine_services* services, nq_plugin_instance** out,
                                 char* err, size_t err_cap) {
  if (services == NULL || services->struct_size < NQ_FIRST_VERSION_SIZE(nq_engine_services)) {
    if (err != NULL && err_cap > 0) snprintf(err, err_cap, "counting plugin: no services");
    return NQ_ERR_INVALID_ARGUMENT;
  }
  memset(&counting, 0, sizeof counting);
  memcpy(&counting.services, services, sizeof counting.services);
  *out = &counting;
  return NQ_OK;
}

static nq_status counting_start(nq_plugin_instance* self, char* err, size_t err_cap) {
  (void)self;
  (void)err;
  (void)err_cap;
  return NQ_OK;
}

static void counting_stop(nq_plugin_instance* self) {
  char line[4096];
  size_t used = (size_t)snprintf(line, sizeof line, "counting plugin:");
#define NQ_COUNTING_PRINT(name, event_type, doc)                              \
  used += (size_t)snprintf(line + used, sizeof line - used, " " #name "=%lu", \
                           (unsigned long)atomic_load(&self->name));
  NQ_HOOK_LIST(NQ_COUNTING_PRINT)
#undef NQ_COUNTING_PRINT
  used += (size_t)snprintf(line + used, sizeof line - used, " malformed=%lu",
                           (unsigned long)atomic_load(&self->malformed));
  self->services.log(self->services.engine_context, NQ_LOG_INFO, (nq_str){line, used});
}

static void counting_destroy(nq_plugin_instance* self) {
  (void)self;
}

static const nq_plugin_descriptor descriptor = {sizeof(nq_plugin_descriptor),
                                                NQ_ABI_VERSION,
                                                {"counting", 8},
                                                {"1.1.0", 5},
                                                {"abi-1.1", 7},
                                                counting_create,
                                                NULL,
                                                counting_start,
                                                counting_stop,
                                                NULL,
                                                counting_destroy,
                                                &hooks,
                                                NULL};

NQ_PLUGIN_EXPORT const nq_plugin_descriptor* nq_plugin_entry(uint32_t engine_abi_version,
                                                             const nq_engine_services* services) {
  (void)engine_abi_version;
  (void)services;
  return &descriptor;
}
