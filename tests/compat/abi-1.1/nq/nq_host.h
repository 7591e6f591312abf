/*
 * nq_host.h - the host runtime an engine embeds to load, call and unload an
 * nq plugin (libnq_hooks). C API, so a C, C++ or Rust engine can use it.
 *
 * Lifecycle
 *   nq_host_create() -> nq_host_load(path) -> nq_host_<hook>(...)* ->
 *   nq_host_unload() -> nq_host_destroy().
 *   A failed load leaves the host as it was (no plugin, or the earlier one)
 *   and returns an nq_status with a message; it never aborts the engine.
 *
 * Thread safety
 *   nq_host_<hook>() dispatch functions are lock-free and may be called from
 *   any number of threads at any time, including while a plugin is loaded or
 *   unloaded. With no plugin loaded they return at once. Each calling thread is
 *   given an exclusive thread slot automatically (see nq_plugin_abi.h).
 *   nq_host_load/unload/destroy are serialized internally; call destroy only
 *   once no thread can call a dispatch function any more.
 */
#ifndef NQ_HOST_H
#define NQ_HOST_H

#include "nq/nq_plugin_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define NQ_HOST_API __declspec(dllexport)
#else
#define NQ_HOST_API __attribute__((visibility("default")))
#endif

/* Most exclusive thread slots a host hands out; threads past it share.
 * The same limit as the ABI's NQ_MAX_THREAD_SLOTS. */
#define NQ_HOST_MAX_THREAD_SLOTS NQ_MAX_THREAD_SLOTS

typedef struct nq_host nq_host;

typedef struct nq_host_options {
  uint32_t struct_size;
  uint32_t thread_slots; /* exclusive slots to hand out; 0 = default (64) */
  /* The engine's services, copied by the host; thread_slots in it is ignored
   * (the host sets it). Must stay valid until nq_host_destroy(). */
  const nq_engine_services* services;
  /* Longest time nq_host_unload and nq_host_reload wait for threads still
   * inside the plugin. */
  uint64_t quiesce_timeout_ns; /* 0 = default (5 s) */
  /* Since 0.2: what happens to a copy of the plugin that was replaced or
   * unloaded. NQ_HOST_UNLOAD_WHEN_QUIET (0, the default): it is unmapped
   * once no thread is inside it (or kept mapped, and logged, after the
   * quiesce timeout). NQ_HOST_NEVER_UNLOAD: for engines whose threads cannot
   * be waited for; the host does not wait, stops the copy's own threads and
   * listener but keeps its code and memory mapped for the life of the host. */
  uint32_t unload_policy;
  uint32_t reserved0;
} nq_host_options;

#define NQ_HOST_UNLOAD_WHEN_QUIET 0u
#define NQ_HOST_NEVER_UNLOAD 1u

typedef struct nq_host_plugin_info {
  uint32_t struct_size;
  uint32_t abi_version;
  nq_str name; /* valid while the plugin stays loaded */
  nq_str version;
  nq_str build_id;
  nq_str path;
  /* Since 0.2 (filled when struct_size covers them). The host loads a private
   * copy of the file, so that the file can be replaced at any time: */
  nq_str loaded_from;       /* what the loader opened, e.g. "/proc/self/fd/9" */
  nq_str mapped_name;       /* the copy's name in /proc/self/maps */
  uint32_t reloads;         /* successful reloads since the host was created */
  uint32_t resident_copies; /* replaced copies still mapped (never unloaded) */
} nq_host_plugin_info;

/* The first versions of the host's versioned structs (see
 * NQ_VERSIONED_STRUCT_LIST): NQ_FIRST_VERSION_SIZE(nq_host_options), ... */
#define NQ_HOST_VERSIONED_STRUCT_LIST(X)    \
  X(nq_host_options, quiesce_timeout_ns, 0) \
  X(nq_host_plugin_info, path, 0)
NQ_HOST_VERSIONED_STRUCT_LIST(NQ_DEFINE_FIRST_VERSION_SIZE)

/* Returns NULL when options is NULL or malformed. */
NQ_HOST_API nq_host* nq_host_create(const nq_host_options* options);

/* Unloads any plugin and frees the host. */
NQ_HOST_API void nq_host_destroy(nq_host* host);

/* Loads the plugin at path, checks its ABI, creates and starts it, and then
 * publishes its hooks. Fails with NQ_ERR_INVALID_ARGUMENT when a plugin is
 * already loaded. On failure err holds a message (NUL-terminated), which is
 * also written to the engine's log. */
NQ_HOST_API nq_status nq_host_load(nq_host* host, const char* path, char* err, size_t err_cap);

/* Hot reload: replaces the loaded plugin with the one at path (the same path
 * after the file was replaced, or another one) while hook calls go on.
 *   1. stage: load a private copy, check its ABI, create it, and hand it the
 *      loaded copy's state (counters, histograms, label sets, the listening
 *      socket); 2. publish its hooks atomically; 3. wait until no thread is
 *      inside the old copy; 4. hand over what the old copy counted meanwhile;
 *      5. stop the old copy, start the new one on the handed-over socket;
 *      6. destroy and unmap the old copy.
 * A failure in 1 (missing file, other ABI major, create or state import
 * error) leaves the loaded copy serving, unchanged, and returns the error.
 * If start fails in 5 the new copy keeps counting but does not serve; the
 * call returns NQ_ERR_START_FAILED. With no plugin loaded, same as
 * nq_host_load. Calls are serialized with load/unload. */
NQ_HOST_API nq_status nq_host_reload(nq_host* host, const char* path, char* err, size_t err_cap);

/* Unpublishes the hooks, waits until no thread is inside the plugin, then
 * stops, destroys and unloads it. NQ_ERR_NOT_LOADED when there is none. If a
 * thread stays inside past the quiesce timeout the plugin is stopped but its
 * code stays mapped, and the function returns NQ_ERR_INTERNAL. */
NQ_HOST_API nq_status nq_host_unload(nq_host* host);

/* Describes the loaded plugin; NQ_ERR_NOT_LOADED when there is none. */
NQ_HOST_API nq_status nq_host_plugin(const nq_host* host, nq_host_plugin_info* info);

/* A stable name for a status code ("NQ_ERR_ABI_MISMATCH"...). */
NQ_HOST_API const char* nq_status_name(nq_status status);

/* One dispatch function per hook: nq_host_query_begin(host, &event), ... */
#define NQ_HOST_DECLARE_DISPATCH(name, event_type, doc) \
  NQ_HOST_API void nq_host_##name(nq_host* host, const event_type* event);
NQ_HOOK_LIST(NQ_HOST_DECLARE_DISPATCH)
#undef NQ_HOST_DECLARE_DISPATCH

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* NQ_HOST_H */
